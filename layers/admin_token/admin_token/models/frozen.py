"""`Frozen`: immutable, keyword-only value classes, built without compiling code at import.

`dataclasses` writes each class's `__init__`, `__eq__`, `__repr__` and frozen `__setattr__` as
source text and compiles it when the class is created: 0.7-1 ms a class on Lambda's Python 3.13,
whatever the layer's `.pyc`. Records and response entities are 25 such classes, all created at
every cold start (about 0.1x of the boto3 floor, docs/performance.md). A `Frozen` subclass is
read once (`__init_subclass__`: its annotations and defaults) and shares one implementation of
those methods, so creating it costs about 30 µs.

`dataclass_transform` makes type checkers treat a subclass as a frozen, keyword-only dataclass:
constructor calls and assignments are checked as before. A subclass declared with `kw_only=False`
also takes its fields positionally, in order, as a plain frozen dataclass does. pydantic (only in the OpenAPI
generator) reads a subclass's schema through an equivalent standard dataclass (`as_dataclass`).
"""

from __future__ import annotations

import dataclasses
import inspect  # dataclasses imports it anyway
import typing
from typing import Any, ClassVar, NamedTuple, dataclass_transform

MISSING: Any = dataclasses.MISSING  # no default, or no default factory, as in `dataclasses`


class FieldSpec(NamedTuple):
    name: str
    annotation: str  # as written: modules here use `from __future__ import annotations`
    default: Any  # MISSING when the field has no default
    default_factory: Any  # MISSING, or what builds a fresh default

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.default_factory is MISSING


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
class Frozen:
    __fields__: ClassVar[tuple[FieldSpec, ...]] = ()
    __positional__: ClassVar[bool] = False

    def __init_subclass__(cls, kw_only: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__positional__ = not kw_only
        fields = {spec.name: spec for spec in cls.__fields__}  # inherited ones first, in order
        for name, annotation in inspect.get_annotations(cls).items():  # its own, not inherited
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, MISSING)
            if isinstance(value, dataclasses.Field):
                fields[name] = FieldSpec(name, str(annotation), value.default, value.default_factory)
            else:
                fields[name] = FieldSpec(name, str(annotation), value, MISSING)
            if value is not MISSING:
                delattr(cls, name)  # an instance always holds its own value
        cls.__fields__ = tuple(fields.values())
        if cls.__positional__:
            # Classes that were plain dataclasses keep working with `dataclasses.replace`, `fields`
            # and `asdict`: those read only this map.
            cls.__dataclass_fields__ = {spec.name: _dataclass_field(spec) for spec in cls.__fields__}  # type: ignore[attr-defined]

    def __init__(self, *args: Any, **values: Any) -> None:
        if args:
            if not self.__positional__ or len(args) > len(self.__fields__):
                # Python's own wording, counting `self`.
                takes = 1 + (len(self.__fields__) if self.__positional__ else 0)
                raise TypeError(
                    f"__init__() takes {takes} positional argument{'s' if takes > 1 else ''} "
                    f"but {len(args) + 1} were given"
                )
            for spec, value in zip(self.__fields__, args, strict=False):
                if spec.name in values:
                    raise TypeError(f"{type(self).__name__}() got multiple values for argument {spec.name!r}")
                values[spec.name] = value
        for spec in self.__fields__:
            if spec.name in values:
                value = values.pop(spec.name)
            elif spec.default_factory is not MISSING:
                value = spec.default_factory()
            elif spec.default is not MISSING:
                value = spec.default
            else:
                raise TypeError(f"{type(self).__name__}() missing keyword argument {spec.name!r}")
            object.__setattr__(self, spec.name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(values)}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, spec.name) for spec in self.__fields__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{spec.name}={getattr(self, spec.name)!r}" for spec in self.__fields__)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # Only the OpenAPI generator asks: describe the class as the dataclass it stands for.
        return handler(as_dataclass(cls))


def _dataclass_field(spec: FieldSpec) -> dataclasses.Field[Any]:
    described: dataclasses.Field[Any] = dataclasses.field(default=spec.default, default_factory=spec.default_factory)
    described.name, described.type = spec.name, spec.annotation
    described._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what `dataclass` sets on a field
    return described


F = typing.TypeVar("F", bound=Frozen)


def replace(instance: F, **changes: Any) -> F:
    """A copy of `instance` with `changes`, as `dataclasses.replace` makes one of a dataclass."""
    return type(instance)(**{**{spec.name: getattr(instance, spec.name) for spec in instance.__fields__}, **changes})


_EQUIVALENTS: dict[type[Frozen], type] = {}


def as_dataclass(cls: type[Frozen]) -> type:
    """The standard frozen dataclass equivalent to `cls` (same name, fields, types and defaults)."""
    if cls in _EQUIVALENTS:
        return _EQUIVALENTS[cls]
    hints = typing.get_type_hints(cls)
    fields = [
        (spec.name, hints[spec.name], dataclasses.field(default=spec.default, default_factory=spec.default_factory))
        for spec in cls.__fields__
    ]
    equivalent = dataclasses.make_dataclass(cls.__name__, fields, frozen=True, kw_only=True)
    equivalent.__module__, equivalent.__qualname__, equivalent.__doc__ = cls.__module__, cls.__qualname__, cls.__doc__
    _EQUIVALENTS[cls] = equivalent
    return equivalent
