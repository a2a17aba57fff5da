"""The verb registry: `rules/commands/files.yaml` names a verb for each command,
and the verb families register their handler under that name. Knowledge
checks every verb against this table when it loads, so a typo in the YAML is
an error at load time, not an AttributeError when some file uses the command."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # annotations only: the runner imports the families
    from ...core.sizes import Size
    from ..knowledge import CommandSpec
    from .runner import CommandRunner, Invocation

Handler = Callable[["CommandRunner", "CommandSpec", "Invocation"], "Size | None"]
VERBS: dict[str, Handler] = {}


def verb(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in VERBS:
            raise ValueError(f"verb '{name}' registered twice")
        VERBS[name] = handler
        return handler
    return register
