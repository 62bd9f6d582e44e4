"""moto's record of model instances: live ones only.

moto's `BaseModel.__new__` appends every instance of every model class to a class-level list,
`instances_tracked`, so that its dashboard (`/moto-api/data.json`) can list the state of every
service. Nothing ever leaves that list: every stream record, shard iterator, SQS message and,
above all, every copy of a DynamoDB table that a transaction makes to roll back (each with all
its items and stream records) stays reachable for the life of the process. Measured on a soak of
300 links: 411,000 stream records and 531,000 items alive for a table of 601 items, and 2.3 GB.

AWS itself has no such record, and the dashboard only needs what the backends still hold: a
list of weak references gives it exactly that, and lets the garbage collector have the rest.

The dashboard's JSON view (`/moto-api/data.json`, where sent mail is read) checks that each
attribute can be encoded, keeps a reference to it, and encodes the whole view at the end: an
attribute a request changes in between (an S3 bucket's keys, say) made it answer 500 now and
then. `data_json_view` encodes each attribute once, when it is read, so the view is a snapshot.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.model_instances import model_data
from moto.moto_api._internal.responses import MotoAPIResponse

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
        while True:
            try:  # a collection while copying can run `forget` and resize the dict
                refs = list(self._refs.values())
                break
            except RuntimeError:
                continue
        live = [ref() for ref in refs]
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


def _snapshot(instance: Any) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for attr in dir(instance):
        if attr.startswith("_"):
            continue
        try:
            view[attr] = json.loads(json.dumps(getattr(instance, attr)))
        except (TypeError, AttributeError, ValueError, RuntimeError):
            continue  # not JSON, as moto's own view leaves it out
    return view


def data_json_view(
    self: MotoAPIResponse, request: Any, full_url: str, headers: Any
) -> tuple[int, dict[str, str], str]:
    """moto's `/moto-api/data.json`: every model's live instances, each encoded as read."""
    results: dict[str, dict[str, list[Any]]] = {}
    for service in sorted(model_data):
        models = model_data[service]
        results[service] = {
            name: [_snapshot(instance) for instance in models[name].instances_tracked]  # type: ignore[attr-defined]
            for name in sorted(models)
        }
    return 200, {"Content-Type": "application/javascript"}, json.dumps(results)


def track_live_instances_only() -> None:
    BaseModel.__new__ = staticmethod(_tracked_new)  # type: ignore[method-assign]
    MotoAPIResponse.model_data = data_json_view  # type: ignore[method-assign]
    # moto's URL map holds a method bound when it was imported: point it at the new view.
    from moto.moto_api._internal import urls

    urls.url_paths["{0}/moto-api/data.json"] = urls.response_instance.model_data
