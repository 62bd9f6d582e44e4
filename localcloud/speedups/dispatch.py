"""moto's request dispatcher, with the backend of each host remembered.

`DomainDispatcherApplication.get_backend_for_host` lists moto's package folder (`os.listdir`
and a `stat` per entry, about 80) and then tries hundreds of URL patterns, for every request,
under one lock shared by all of them. The host it resolves is `{service}.{region}.amazonaws.com`
(or one of moto's own names), a small fixed set: the answer for each is kept after its first
request, so a request costs a dictionary look-up.
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

# Hosts are service x region names; the bound only guards against an unforeseen caller.
MAX_REMEMBERED_HOSTS = 4096


class CachedDomainDispatcher(DomainDispatcherApplication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backend_of_host: dict[str, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host is None:
            return None
        known = self._backend_of_host.get(host)
        if known is not None:
            return known
        backend = super().get_backend_for_host(host)
        if backend and len(self._backend_of_host) < MAX_REMEMBERED_HOSTS:
            self._backend_of_host[host] = backend
        return backend
