"""Routes of the management API for qr (placeholder router until its issue lands)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
