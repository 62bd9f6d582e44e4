"""Every name the stack answers on, so that no link can point back at it (it would loop).

Known from the request: the Host it arrived with and API Gateway's `requestContext` (its
`domainName`, and the `execute-api` endpoint API Gateway generates for the API, built from
`apiId`: https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html).
Known only after deploy, so read from configuration like the short base URL: the short domain,
a custom domain and the CloudFront distribution's domain (and, on a local stack, the API's own
address).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from shortener import settings

EXECUTE_API_DOMAIN = "{api_id}.execute-api.{region}.amazonaws.com"


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]


def own_origins(event: Any) -> set[str]:
    """`host` or `host:port` of each name: the request's own, then the configured ones."""
    context = event.get("requestContext") or {}
    origins = {
        _netloc(settings.short_base_url()),
        *(_netloc(url) for url in settings.own_origins()),
        event.headers.get("host") or "",  # case-insensitive
        context.get("domainName") or "",
    }
    region = os.environ.get("AWS_REGION")
    if context.get("apiId") and region:
        origins.add(EXECUTE_API_DOMAIN.format(api_id=context["apiId"], region=region))
    return {origin for origin in origins if origin}
