"""Routes of the management API for webhooks (placeholder router until its issue lands)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
