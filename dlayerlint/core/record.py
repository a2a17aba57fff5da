"""Record: the base of small value classes, with the ==, hash and repr that @dataclass makes.

A dataclass generates and compiles its methods when its module is imported (~0.5 ms a class,
six compilations for a frozen one); dozens of them were most of a cold `dlayerlint check`.
A Record's methods are written once, here, over the fields its classes list in __slots__
(in order, base classes' first; a name starting with `_` is private: no field). Each class
writes its own __init__. Records are not frozen: they are not changed once made, by convention.
"""
from __future__ import annotations

from operator import attrgetter
from collections.abc import Callable
from typing import Any, ClassVar


class Record:
    """== compares the fields of two records of the same class, hash hashes them (a mutable
    record sets `__hash__ = None`, as a dataclass without frozen=True has), repr shows them."""
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _key: ClassVar[Callable[[Any], Any]]   # attrgetter of the fields: a class attribute, called with the record

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(name for klass in reversed(cls.__mro__) for name in klass.__dict__.get("__slots__", ())
                            if not name.startswith("_"))
        cls._key = attrgetter(*cls._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key(self) == self._key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({shown})"
