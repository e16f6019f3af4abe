"""Records as stored: a frozen dataclass as one plain JSON object, and back.

A record's object has one key per field, named like it, in the order the fields are declared
(the stores write it through `dumps`, keys sorted; the order shows only where a record is
written as it is, e.g. the complaint settings inside a questionnaire version file). A field's
value is written in its plain JSON form (`plain`): tuples as arrays, mappings as objects,
nested records as their own objects.

Reading back names, per field, only what differs from the JSON value as it is: a tuple again,
a number coerced, a nested record rebuilt (`record_from`'s `read`). A key missing from what an
earlier version wrote takes the field's default; a field without a default must be there.

A record class gets both as its `to_dict` and `from_dict` by deriving from `Record`, declaring
its readers where it derives: `class Problem(Record, read={"reasons": tuple})`.

No third-party import here: the questionnaire model's settings use it too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")
Read = Callable[[Any], Any]


def dumps(data: object) -> str:
    """The text a store keeps of a JSON value: keys sorted, compact, UTF-8 as it is."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def plain(value: Any) -> Any:
    """A value in its JSON form: a value with its own `to_dict` as that, a record as its
    object (`record_dict`), a mapping as an object and a tuple as an array, their items
    likewise; anything else (a string, a number, None) as it is."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return record_dict(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value


def record_dict(record: DataclassInstance) -> dict[str, Any]:
    """Every field of a record, in declaration order, in its JSON form."""
    return {f.name: plain(getattr(record, f.name)) for f in fields(record)}


def record_from(cls: type[R], data: Mapping[str, Any], **read: Read) -> R:
    """The record `record_dict` wrote: each field's stored value as it is, or through
    `read[field]` where its JSON form differs; a missing key takes the field's default."""
    unknown = set(read) - {f.name for f in fields(cls)}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            values[f.name] = read[f.name](value) if f.name in read else value
        elif f.default is MISSING and f.default_factory is MISSING:
            raise KeyError(f.name)
    return cls(**values)


def reader(cls: type[R], **read: Read) -> Callable[[Mapping[str, Any]], R]:
    """`record_from` for a nested record's object."""
    return lambda data: record_from(cls, data, **read)


def optional(read: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """`read`, with None (a nested record that is not there) kept as None."""
    return lambda value: None if value is None else read(value)


def tuple_of(read: Callable[[Any], T]) -> Callable[[Any], tuple[T, ...]]:
    """An array read back as a tuple, each item through `read`."""
    return lambda items: tuple(read(item) for item in items)


def with_tuples(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping (answers by question ID) whose arrays are tuples again."""
    return {
        key: tuple(value) if isinstance(value, list) else value for key, value in mapping.items()
    }


class Record:
    """`to_dict` and `from_dict` of a frozen dataclass deriving from it, with the readers it
    declares: `class Draw(Record, read={"seed": int, …})`."""

    READ: ClassVar[Mapping[str, Read]] = {}

    def __init_subclass__(cls, *, read: Mapping[str, Read] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.READ = dict(read or {})

    def to_dict(self) -> dict[str, Any]:
        return record_dict(cast("DataclassInstance", self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cast(Self, record_from(cast("type[DataclassInstance]", cls), data, **cls.READ))
