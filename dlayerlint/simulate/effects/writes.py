"""Commands that write bytes we can count: sed -i, dd, fallocate/truncate, head -c, echo/printf, cat, tee."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...core.sizes import UNKNOWN, ZERO, Confidence, Size, exact, parse_size
from .registry import verb

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ..knowledge import CommandSpec
    from .runner import CommandRunner, Invocation

ZERO_SOURCES = ("/dev/zero", "/dev/urandom", "/dev/random")


def _in_place_suffix(name: str, texts: list[str | None]) -> str | None:
    """'' for `sed -i`, '.bak' for `sed -i.bak` / `--in-place=.bak`, None without -i."""
    for text in texts:
        if text is None:
            continue
        if text.startswith("--in-place"):
            return text.partition("=")[2]
        if name == "sed" and text.startswith("-i"):
            return text[2:]
    return None


def _echo_size(texts: list[str]) -> Size:
    newline = 1
    while texts and texts[0] in ("-n", "-e", "-E", "-ne", "-en"):
        if "n" in texts[0]:
            newline = 0
        texts = texts[1:]
    text = " ".join(texts)
    if "\\" in text:   # dash's echo reads escapes, bash's does not: either may be right
        return Size(len(_decode(text).encode()) + newline, Confidence.ESTIMATED)
    return exact(len(text.encode()) + newline)


def _printf_size(texts: list[str]) -> Size:
    if not texts:
        return ZERO
    template, values = texts[0], texts[1:]
    # \\x is bash's; dash's printf prints it as written
    confidence = Confidence.ESTIMATED if "\\x" in template else Confidence.EXACT
    if "%" not in template.replace("%%", ""):
        return Size(len(_decode(template.replace("%%", "%"), printf=True).encode()), confidence)
    if "%" not in template.replace("%%", "").replace("%s", "") and values:   # only %s conversions
        count = template.replace("%%", "").count("%s")
        rounds = max(1, -(-len(values) // count))
        body = len(_decode(template.replace("%%", "%").replace("%s", ""), printf=True).encode())
        return Size(body * rounds + sum(len(v.encode()) for v in values), confidence)
    return UNKNOWN


_ECHO_ESCAPE = re.compile(r"\\(0[0-7]{0,3}|x[0-9A-Fa-f]{1,2}|.)", re.DOTALL)


_PRINTF_ESCAPE = re.compile(r"\\([0-7]{1,3}|x[0-9A-Fa-f]{1,2}|.)", re.DOTALL)


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
                   "e": "\x1b", "\\": "\\"}


def _decode(text: str, printf: bool = False) -> str:
    """echo's (dash: `\\0NNN`) or printf's (`\\NNN`) escapes; an unknown escape stays as written."""
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "01234567" and (printf or code[0] == "0"):
            return chr(int(code[0 if printf else 1:] or "0", 8))
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, "\\" + code)
    return (_PRINTF_ESCAPE if printf else _ECHO_ESCAPE).sub(one, text)


@verb("edit")
def edit(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    suffix = _in_place_suffix(call.name, [text for text, _ in call.words])
    if suffix is None and not args.has(*spec.flags("requires")):
        return UNKNOWN
    operands = args.operands
    if not args.has(*spec.flags("script_unless")):
        operands = operands[1:]   # the first operand is the script
    for text, index in operands:
        if suffix:   # `sed -i.bak` keeps the old file beside the new one
            for node in runner.nodes(text, call.is_glob(index)):
                if node.version is not None:
                    runner.create(node.path + suffix, node.version.size, call.origin)
        runner.copy_up(text, call.is_glob(index), call.origin, False)
    return ZERO


@verb("dd")
def dd(runner: CommandRunner, _spec: CommandSpec, call: Invocation) -> Size:
    operands = dict(text.split("=", 1) for text, _ in call.words if text and "=" in text)
    size = _dd_size(runner, operands)
    output = operands.get("of")
    if output is None:
        return size
    notrunc = "notrunc" in operands.get("conv", "")
    existing = runner.nodes(output, False)
    if notrunc and existing and existing[0].version is not None:
        old = existing[0].version.size
        size = Size(max(old.bytes, size.bytes), max(old.confidence, size.confidence))
    runner.create(output, size, call.origin)
    return ZERO


def _dd_size(runner: CommandRunner, operands: dict[str, str]) -> Size:
    copied = _dd_copied(runner, operands)
    seek = parse_size(operands.get("seek", "0"), dd=True)
    obs = 1 if "seek_bytes" in operands.get("oflag", "") else \
        parse_size(operands.get("obs") or operands.get("bs") or "512", dd=True)
    if seek and obs and "of" in operands:   # the skipped part counts (a sparse hole)
        return Size(copied.bytes + seek * obs, copied.confidence)
    return copied


def _dd_copied(runner: CommandRunner, operands: dict[str, str]) -> Size:
    """Bytes dd copies: count blocks, or what the input holds."""
    block = parse_size(operands.get("ibs") or operands.get("bs") or "512", dd=True)
    source = operands.get("if")
    available = runner.file_size(source) if source is not None else UNKNOWN
    count = parse_size(operands["count"], dd=True) if "count" in operands else None
    if count is None or block is None:
        return available or UNKNOWN
    wanted = count if "count_bytes" in operands.get("iflag", "") else count * block
    if available is None:
        return exact(wanted)
    return Size(min(wanted, available.bytes), available.confidence) if available.known else UNKNOWN


@verb("sized")
def sized(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    size_text = args.value(*spec.flags("size_option"))
    for text, _ in args.operands:
        size = _new_size(runner, size_text, text)
        runner.create(text, size, call.origin)
    return ZERO


def _new_size(runner: CommandRunner, size_text: str | None, path: str | None) -> Size:
    if size_text is None:
        return UNKNOWN
    if size_text[:1] in "+-<>/%":
        current = runner.file_size(path) or UNKNOWN
        if not current.known and runner.is_new(path):
            current = ZERO
        delta = parse_size(size_text[1:])
        if size_text[0] == "+" and delta is not None and current.known:
            return Size(current.bytes + delta, current.confidence)
        return UNKNOWN
    count = parse_size(size_text)
    return exact(count) if count is not None else UNKNOWN


@verb("head")
def head(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    count_text = args.value("-c", "--bytes")
    if count_text is None or count_text.startswith("-"):
        return UNKNOWN
    count = parse_size(count_text.lstrip("+"))
    if count is None:
        return UNKNOWN
    sources = [text for text, _ in args.operands]
    available = call.stdin if not sources else runner.file_size(sources[0])
    if available is None:
        return exact(count)
    return Size(min(count, available.bytes), available.confidence) if available.known else UNKNOWN


@verb("print")
def print_words(_runner: CommandRunner, _spec: CommandSpec, call: Invocation) -> Size:
    texts = [text for text, _ in call.words]
    if any(text is None for text in texts):
        return UNKNOWN
    if call.name == "printf":
        return _printf_size(texts)  # type: ignore[arg-type]
    return _echo_size(texts)  # type: ignore[arg-type]


@verb("cat")
def cat(runner: CommandRunner, _spec: CommandSpec, call: Invocation) -> Size | None:
    sources = [text for text, _ in call.words if text is None or not text.startswith("-") or text == "-"]
    if not sources:
        return call.stdin
    result = ZERO
    for text in sources:
        size = call.stdin if text == "-" else runner.file_size(text)
        if size is None:
            return None
        result = result + size
    return result


@verb("endless")
def endless(_runner: CommandRunner, _spec: CommandSpec, _call: Invocation) -> Size | None:
    return None


@verb("tee")
def tee(runner: CommandRunner, _spec: CommandSpec, call: Invocation) -> Size | None:
    append = any(text in ("-a", "--append") for text, _ in call.words)
    for text, _ in call.words:
        if text is None or not text.startswith("-"):
            runner.create(text, call.stdin or UNKNOWN, call.origin, append=append)
    return call.stdin
