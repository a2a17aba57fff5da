"""What the server calls itself to the client; plain strings, so server.py can register
its code action kinds before the linting side (and lsprotocol's enums) are needed."""

SOURCE = "dlayerlint"                  # the `source` of our diagnostics
FIX_ALL = f"source.fixAll.{SOURCE}"    # our kind of CodeActionKind.SourceFixAll
