"""The Pipe's enrichment function: a batch of stream records in, a list of event details out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

# Loaded in the init phase, not on the first request: nearly every invocation reads the short
# links' base URL through it (shortener.settings imports it lazily for the functions that don't).
from aws_lambda_powertools.utilities import parameters  # noqa: F401
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener import settings
from shortener.enrichment import link_event_details

logger = Logger()


@logger.inject_lambda_context
def handler(event: list[dict[str, Any]], context: LambdaContext) -> list[dict[str, Any]]:
    details = link_event_details(event, settings.short_base_url())
    logger.info("enriched", extra={"records": len(event), "events": len(details)})
    return details
