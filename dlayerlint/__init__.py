"""dlayerlint: find Docker image-layer bloat before the build."""
__version__ = "0.1.0"
