"""What each command of a RUN does to the symbolic filesystem: the runner
(`runner.py`) dispatches a command to its verb, and each verb family lives in
its own module. Importing this package registers every verb."""
from __future__ import annotations

from . import fetch, files, packages, writes
from .registry import VERBS

__all__ = ["VERBS", "fetch", "files", "packages", "writes"]   # importing the families registers their verbs
