"""Byte counts that know how sure they are, and size-argument parsing."""
from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum

from .record import Record


class Confidence(IntEnum):
    EXACT = 0       # from arguments or the build context
    ESTIMATED = 1   # from the knowledge base
    UNKNOWN = 2     # bytes is a lower bound

    @property
    def label(self) -> str:
        return self.name.lower()


class Size(Record):
    __slots__ = ("bytes", "confidence")

    def __init__(self, bytes: int, confidence: Confidence) -> None:  # pylint: disable=redefined-builtin
        self.bytes = bytes
        self.confidence = confidence

    def __add__(self, other: Size) -> Size:
        return Size(self.bytes + other.bytes, max(self.confidence, other.confidence))

    @property
    def known(self) -> bool:
        return self.confidence is not Confidence.UNKNOWN

    def as_json(self) -> int | None:
        """Bytes, or None when nothing at all is known."""
        return None if not self.known and self.bytes == 0 else self.bytes


ZERO = Size(0, Confidence.EXACT)
UNKNOWN = Size(0, Confidence.UNKNOWN)


def exact(count: int) -> Size:
    return Size(count, Confidence.EXACT)


def estimated(count: int) -> Size:
    return Size(count, Confidence.ESTIMATED)


def total(sizes: Iterable[Size]) -> Size:
    """The sum, as adding them one by one gives, without a Size per step (a
    finding adds up thousands of versions)."""
    count, confidence = 0, Confidence.EXACT
    for size in sizes:
        count += size.bytes
        confidence = max(confidence, size.confidence)
    return Size(count, confidence)


_SIZE = re.compile(r"([0-9]+)([A-Za-z]*)")
# coreutils (fallocate, truncate, head): K = KiB, KB = 1000; iB suffixes spelled out.
_UNIT = {"": 1, "b": 512, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024 ** 2, "mib": 1024 ** 2,
         "mb": 1000 ** 2, "g": 1024 ** 3, "gib": 1024 ** 3, "gb": 1000 ** 3, "t": 1024 ** 4,
         "tib": 1024 ** 4, "tb": 1000 ** 4}
# dd: c=1, w=2, b=512, kB=1000, K=1024, M/xM=1024^2, MB=1000^2 ...
_DD_UNIT = dict(_UNIT, c=1, w=2)


# off_t is 64-bit signed: coreutils and dd refuse larger sizes ("Value too large")
MAX_FILE_SIZE = 2 ** 63 - 1
_MAX_DIGITS = len(str(MAX_FILE_SIZE))


def parse_size(text: str, dd: bool = False) -> int | None:
    """'1M' → 1048576; dd also multiplies with 'x' (bs=1Kx2). None when
    unreadable or above MAX_FILE_SIZE (the command would refuse it)."""
    product = 1
    for factor in text.split("x") if dd else [text]:
        match = _SIZE.fullmatch(factor)
        if not match:
            return None
        unit = (_DD_UNIT if dd else _UNIT).get(match.group(2).lower())
        digits = match.group(1).lstrip("0")
        if unit is None or len(digits) > _MAX_DIGITS:   # checked before int(): no huge conversions
            return None
        product *= int(digits or "0") * unit
        if product > MAX_FILE_SIZE:
            return None
    return product


def human(count: int) -> str:
    """4194304 → '4.0 MiB', rounded as '%.1f' does; integer arithmetic, so
    no count is too big for it."""
    if count < 1024:
        return f"{count} B"
    power = 1
    while power < 3 and count >= 1024 ** (power + 1):
        power += 1
    scale = 1024 ** power
    tenths, rest = divmod(count * 10, scale)
    if 2 * rest > scale or (2 * rest == scale and tenths % 2):   # half to even
        tenths += 1
    return f"{tenths // 10}.{tenths % 10} {('KiB', 'MiB', 'GiB')[power - 1]}"


def describe(size: Size) -> str:
    """How a report says a size: '4.0 MiB', '~19.0 MiB', '≥ 1.0 MiB', 'unknown'."""
    if size.confidence is Confidence.UNKNOWN:
        return f"≥ {human(size.bytes)}" if size.bytes else "unknown"
    return ("~" if size.confidence is Confidence.ESTIMATED else "") + human(size.bytes)
