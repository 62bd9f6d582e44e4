"""moto's record of model instances: live ones only.

moto's `BaseModel.__new__` appends every instance of every model class to a class-level list,
`instances_tracked`, so that its dashboard (`/moto-api/data.json`) can list the state of every
service. Nothing ever leaves that list: every stream record, shard iterator, SQS message and,
above all, every copy of a DynamoDB table that a transaction makes to roll back (each with all
its items and stream records) stays reachable for the life of the process. Measured on a soak of
300 links: 411,000 stream records and 531,000 items alive for a table of 601 items, and 2.3 GB.

AWS itself has no such record, and the dashboard only needs what the backends still hold: a
list of weak references gives it exactly that, and lets the garbage collector have the rest.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from moto.core.common_models import BaseModel

_counter = itertools.count()
_convert_lock = threading.Lock()


class LiveInstances:
    """Stands in for a model class's `instances_tracked` list: `append` and iteration, over
    the instances that are still referenced elsewhere (a backend, a request in flight)."""

    def __init__(self, existing: Iterable[Any] = ()) -> None:
        self._refs: dict[int, weakref.ref[Any]] = {}
        self._unreferenceable: list[Any] = []  # classes with __slots__ and no __weakref__
        for instance in existing:
            self.append(instance)

    def append(self, instance: Any) -> None:
        key = next(_counter)
        refs = self._refs

        def forget(_ref: weakref.ref[Any]) -> None:
            refs.pop(key, None)

        try:
            refs[key] = weakref.ref(instance, forget)
        except TypeError:
            self._unreferenceable.append(instance)

    def __iter__(self) -> Iterator[Any]:
        live = [ref() for ref in list(self._refs.values())]
        return iter(
            [*(instance for instance in live if instance is not None), *self._unreferenceable]
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _tracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    instance: Any = object.__new__(cls)
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, LiveInstances):
        with _convert_lock:
            tracked = cls.__dict__.get("instances_tracked")
            if not isinstance(tracked, LiveInstances):
                # A class moto imported since (or `reset_model_data` emptied): convert it.
                tracked = LiveInstances(tracked or ())
                type.__setattr__(cls, "instances_tracked", tracked)
    tracked.append(instance)
    return instance


def track_live_instances_only() -> None:
    BaseModel.__new__ = staticmethod(_tracked_new)  # type: ignore[method-assign]
