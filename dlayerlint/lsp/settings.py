"""Settings the editor sends (`initializationOptions` and the `dlayerlint`
section of `workspace/configuration`): the keys of `.dlayerlint.yaml`
(`build-args`, `target`, `context`, `disable`, `enable`, `severity`,
`plugins`), also spelt in camelCase (`buildArgs`). They go on top of the
Dockerfile's config file, as the command line's flags do.

Read leniently: a bad key is reported and skipped, the others still apply,
so a typo in the editor's settings never stops the linting.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Config, ConfigError, from_mapping, configured
from ..config import PluginRef

SECTION = "dlayerlint"
RULE_KEYS = frozenset({"disable", "enable", "severity", "plugins"})   # keys that name rules or rule packs


def _file_key(key: str) -> str:
    """buildArgs → build-args, as the config file spells it."""
    return re.sub(r"[A-Z]", lambda upper: "-" + upper.group().lower(), key)


def _check_rule_names(setting: Config, plugins: tuple[PluginRef, ...]) -> None:
    """Raise ConfigError now for a rule name no rule has, rather than on every lint."""
    _, known = configured(plugins)
    setting.selection(known)


def client_config(data: Any, root: Path) -> tuple[Config, list[str]]:
    """The client's settings as a Config (relative paths from `root`, the
    workspace folder), and a message per setting skipped.

    Accepts the section itself or an object holding it under "dlayerlint"."""
    if data is None:
        return Config(), []
    if isinstance(data, Mapping) and isinstance(data.get(SECTION), Mapping):
        data = data[SECTION]
    if not isinstance(data, Mapping):
        return Config(), [f"{SECTION} settings must be an object, not {type(data).__name__}"]
    config, problems = Config(), []
    # plugins first: the rule names of the other keys may be theirs
    for key in sorted(data, key=lambda k: _file_key(k) != "plugins"):
        source = f"editor setting {SECTION}.{key}"
        try:
            setting = from_mapping({_file_key(key): data[key]}, source, root)
            if _file_key(key) in RULE_KEYS:
                _check_rule_names(setting, config.plugins + setting.plugins)
        except ConfigError as error:
            problems.append(str(error))
            continue
        config = config.merged(setting)
    return config, problems
