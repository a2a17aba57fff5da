"""YAML parsing with a safe loader, in a module of its own so that yaml
(~10 ms to import) loads only when a YAML file is really parsed: the rule
files come from a cached copy (knowledge.load_yaml) and most projects have
no config file."""
from __future__ import annotations

from typing import IO, Any

import yaml

# libyaml's safe loader is ~10x faster than the pure-Python one; both are safe_load
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


def parse(source: str | IO[str]) -> Any:
    return yaml.load(source, Loader=SafeLoader)  # nosec: a safe loader
