"""Print the management API's OpenAPI document, generated from the resolver's routes.

`make openapi` writes it to docs/openapi.json; a unit test keeps that file from drifting.
Building the document touches no AWS resource, so placeholders stand in for the environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SHARED_CODE = Path(__file__).resolve().parent.parent / "layers" / "common" / "python"
PLACEHOLDER_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "LINKS_TABLE_NAME": "Links",
    "KEYS_TABLE_NAME": "ApiKeys",
    "WEBHOOKS_TABLE_NAME": "Webhooks",
    "IDEMPOTENCY_TABLE_NAME": "Idempotency",
    "QR_BUCKET_NAME": "qr-codes",
    "SHORT_BASE_URL_PARAMETER": "/shortener/short-base-url",
    "POWERTOOLS_SERVICE_NAME": "shortener",
    "POWERTOOLS_METRICS_NAMESPACE": "Shortener",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def openapi_document() -> str:
    for name, value in PLACEHOLDER_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if str(SHARED_CODE) not in sys.path:
        sys.path.insert(0, str(SHARED_CODE))
    from shortener.api.app import openapi_json

    return openapi_json() + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_document())
