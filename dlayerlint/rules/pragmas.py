"""Apply `# dlayerlint:` and `# hadolint ignore=` pragmas to findings, rule DLL001 (a
pragma that suppresses nothing) and rule DLL002 (a `# dlayerlint` comment that is no pragma)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..core.rule import Example, Rule
from ..simulate.analysis import Analysis
from ..core.results import Finding
from ..dockerfile.model import Comment, Dockerfile
from ..core.spans import Span
from ..dockerfile.pragmas import Pragma, parse_pragmas

# defined here, not in rules/: it judges pragmas, not layers, and is reported only when asked for
UNUSED_PRAGMA = Rule(
    id="DLL001", name="unused-pragma", severity="warning",
    summary="A `# dlayerlint:` pragma that suppresses nothing, names no rule, or cannot be read.",
    message="{message}",
    rationale=(
        "A pragma left behind after the instruction it excused was fixed keeps that rule\n"
        "silenced there, so the next real finding on that instruction goes unseen; a\n"
        "misspelt rule name or a malformed pragma looks like a suppression but\n"
        "suppresses nothing. DLL001 is reported only when asked for, with\n"
        "`--report-unused-pragmas` or `report-unused-pragmas: true` in the config\n"
        "file; `# hadolint` pragmas are not checked (their other ids are hadolint's).\n"),
    fix="Remove the pragma, or correct the rule name (see `dlayerlint rules`).",
    examples=(
        Example("bad", "FROM debian:bookworm\n"
                       "# dlayerlint: disable=cache-left-in-image\n"
                       "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", {}),
        Example("bad", "FROM busybox\n"
                       "# dlayerlint: disable=removed-in-later-layr\n"
                       "RUN head -c 10 /dev/zero > /a\n"
                       "RUN rm /a\n", {}),
        Example("good", "FROM debian:bookworm\n"
                        "# dlayerlint: disable=cache-left-in-image  -- the dev image installs more at run time\n"
                        "RUN apt-get update && apt-get install -y curl\n", {}),
        Example("fixed", "FROM debian:bookworm\n"
                         "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", {}),
    ),
    help_uri="https://github.com/dlayerlint/dlayerlint#pragmas")


# always reported: a misspelt pragma silently suppresses nothing, which is what a user never wants
MALFORMED_PRAGMA = Rule(
    id="DLL002", name="malformed-pragma", severity="error",
    summary="A `# dlayerlint` comment that is not a pragma dlayerlint can read.",
    message="{message}",
    rationale=(
        "`# dlayerlint: disabel=DLL105` or `# dlayerlint ignore DLL105` look like\n"
        "suppressions but are not read as one, so the finding they meant to silence\n"
        "still fails the build, or worse, a later reader believes it is excused.\n"
        "Unlike DLL001 it is always reported.\n"),
    fix="Write `# dlayerlint: disable=RULE[,RULE]` (or `ignore=`, or `disable-file=`).",
    examples=(
        Example("bad", "FROM busybox\n# dlayerlint: disabel=DLL101\nRUN true\n", {}),
        Example("good", "FROM busybox\n# dlayerlint: disable=DLL101\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n", {}),
    ),
    help_uri="https://github.com/dlayerlint/dlayerlint#pragmas")


def _pragma_finding(dockerfile: Dockerfile, comment: Comment, message: str, rule: Rule = UNUSED_PRAGMA) -> Finding:
    end = len(dockerfile.lines[comment.line - 1]) + 1 if comment.line <= len(dockerfile.lines) else comment.column
    return Finding(rule, Span.of(comment.line, comment.column, comment.line, end), message, [], None)


def _malformed(dockerfile: Dockerfile, unreadable: list[Comment]) -> Iterator[Finding]:
    for comment in unreadable:
        message = (f"unrecognised pragma `# {comment.text}` (expected `# dlayerlint: disable=RULE`, "
                   "`ignore=RULE` or `disable-file=RULE`)")
        yield _pragma_finding(dockerfile, comment, message, MALFORMED_PRAGMA)


def _unused(dockerfile: Dockerfile, pragmas: list[Pragma], used: set[tuple[int, int]]) -> Iterator[Finding]:
    for index, pragma in enumerate(pragmas):
        if pragma.hadolint:
            continue
        for position, (name, ids) in enumerate(zip(pragma.names, pragma.targets)):
            if not ids:
                message = f"pragma names no rule '{name}' (see `dlayerlint rules`)"
            elif (index, position) not in used:
                message = f"pragma `disable={name}` suppresses nothing"
            else:
                continue
            yield _pragma_finding(dockerfile, pragma.comment, message)


def apply_pragmas(analysis: Analysis, known: Mapping[str, Rule], report_unused: bool) -> None:
    """Drop the findings a pragma covers; with report_unused, add findings for idle pragmas."""
    pragmas, unreadable = parse_pragmas(analysis.dockerfile, known)
    if not pragmas and not unreadable:
        return
    used: set[tuple[int, int]] = set()
    kept = []
    for finding in analysis.findings:
        hits = {(index, position) for index, pragma in enumerate(pragmas) if pragma.covers(finding)
                for position, ids in enumerate(pragma.targets) if finding.rule.id in ids}
        used |= hits
        if not hits:
            kept.append(finding)
    kept += _malformed(analysis.dockerfile, unreadable)
    if report_unused:
        kept += _unused(analysis.dockerfile, pragmas, used)
    kept.sort(key=lambda f: (f.span.start, f.rule.id))
    analysis.findings = kept
