"""dlayerlint: find Docker image-layer bloat before the build."""
__version__ = "0.2.0"
