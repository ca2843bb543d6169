"""`Frozen`, the value-class base of records and entities: it must behave as the frozen,
keyword-only dataclass type checkers take it for."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from admin_token.models.frozen import Frozen, as_dataclass, replace


class Point(Frozen):
    kind: ClassVar[str] = "point"  # a class variable, not a field
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


class Labelled(Point):
    label: str


class Pair(Frozen):
    left: int
    right: str


def test_fields_are_the_annotations_in_order_inherited_first() -> None:
    assert [spec.name for spec in Labelled.__fields__] == ["x", "y", "tags", "label"]
    assert Labelled(x=1, label="a") == Labelled(x=1, y=0, tags=[], label="a")


def test_defaults_and_fresh_default_factories() -> None:
    first, second = Point(x=1), Point(x=2)
    assert (first.y, first.tags, Point.kind) == (0, [], "point")
    assert first.tags is not second.tags


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Point(), "Point() missing keyword argument 'x'"),
        (lambda: Point(x=1, z=2), "Point() got unexpected keyword arguments ['z']"),
        (lambda: Point(1), "__init__() takes 1 positional argument but 2 were given"),
    ],
    ids=["missing", "unexpected", "positional"],
)
def test_construction_is_keyword_only_and_complete(build: object, message: str) -> None:
    with pytest.raises(TypeError) as refused:
        build()  # type: ignore[operator]
    assert message in str(refused.value)


def test_equality_hash_and_repr_are_by_value_and_type() -> None:
    assert Point(x=1, y=2) == Point(x=1, y=2)
    assert Point(x=1, y=2) != Point(x=1, y=3)
    assert Point(x=1) != Labelled(x=1, label="")  # another type is never equal
    assert hash(Pair(left=1, right="a")) == hash(Pair(left=1, right="a"))
    assert len({Pair(left=1, right="a"), Pair(left=1, right="a"), Pair(left=2, right="a")}) == 2
    assert repr(Point(x=1)) == "Point(x=1, y=0, tags=[])"


def test_an_instance_is_immutable() -> None:
    point = Point(x=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y  # type: ignore[misc]
    assert point.x == 1


def test_its_dataclass_equivalent_has_the_same_name_fields_and_defaults() -> None:
    equivalent = as_dataclass(Labelled)
    assert (equivalent.__name__, equivalent.__module__) == ("Labelled", __name__)
    fields = {field.name: field for field in dataclasses.fields(equivalent)}
    assert list(fields) == ["x", "y", "tags", "label"]
    assert (fields["y"].default, fields["tags"].default_factory, fields["x"].type) == (0, list, int)
    assert equivalent(x=1, label="a") == equivalent(x=1, y=0, tags=[], label="a")


class Positional(Frozen, kw_only=False):
    kind: str
    id: int = 0


def test_a_class_declared_kw_only_false_takes_its_fields_positionally_too() -> None:
    assert Positional("user", 3) == Positional(kind="user", id=3) == Positional("user", id=3)
    assert Positional("user") == Positional(kind="user", id=0)
    with pytest.raises(TypeError, match="multiple values"):
        Positional("user", kind="runner")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        Positional("user", 3, 4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        Pair(1, "a")  # type: ignore[misc]


def test_replace_copies_with_changes_and_keeps_the_original() -> None:
    original = Positional("user", 3)
    assert replace(original, id=4) == Positional("user", 4)
    assert original == Positional("user", 3)


def test_a_positional_class_works_with_the_dataclasses_functions() -> None:
    original = Positional("user", 3)
    assert dataclasses.replace(original, id=4) == Positional("user", 4)
    assert dataclasses.asdict(original) == {"kind": "user", "id": 3}
    assert [field.name for field in dataclasses.fields(original)] == ["kind", "id"]
