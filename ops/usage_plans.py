"""The API Gateway side of a key: its API Gateway API key, the usage plan that meters it, and
the stage's authorizer cache.

The stack outputs `UsagePlans` ({plan name: usage plan id}); the REST API is the stack's `Api`
resource and its stage the `AWS::ApiGateway::Stage` resource. The authorizer names the API
Gateway key to meter (`usageIdentifierKey`), so its value is generated here and never shown:
callers only ever hold their Bearer key.
https://docs.aws.amazon.com/apigateway/latest/api/API_CreateApiKey.html
https://docs.aws.amazon.com/apigateway/latest/api/API_CreateUsagePlanKey.html
https://docs.aws.amazon.com/apigateway/latest/api/API_FlushStageAuthorizersCache.html
"""

from __future__ import annotations

import contextlib
import json
import secrets
import string
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ops.discovery import Stack
from ops.errors import OpsError, UsageError

OUTPUT_USAGE_PLANS = "UsagePlans"
REST_API_LOGICAL_ID = "Api"
# An API key value is 20 to 128 alphanumeric characters
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html):
# 40 of 62 letters carry 238 bits.
GATEWAY_KEY_ALPHABET = string.ascii_letters + string.digits
GATEWAY_KEY_LENGTH = 40


@dataclass(frozen=True)
class GatewayKey:
    id: str
    value: str


class UsagePlans:
    """The stack's plans and the calls that put a key on one, move it, or switch it off."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._apigateway = stack.clients.client("apigateway")

    @cached_property
    def ids(self) -> dict[str, str]:
        """{plan name: usage plan id}, from the stack's `UsagePlans` output."""
        text = self._stack.outputs.get(OUTPUT_USAGE_PLANS)
        if not text:
            raise OpsError(
                f"stack {self._stack.name!r} has no output {OUTPUT_USAGE_PLANS!r}: "
                "deploy this version of the stack first"
            )
        plans = json.loads(text)
        return {str(name): str(plan_id) for name, plan_id in plans.items()}

    def check(self, plan: str) -> str:
        """The usage plan id of `plan`; a usage error naming the plans there are otherwise."""
        if plan not in self.ids:
            raise UsageError(f"unknown plan {plan!r}: the stack has {', '.join(sorted(self.ids))}")
        return self.ids[plan]

    def create_key(self, key_id: str, owner: str, plan: str) -> GatewayKey:
        """An enabled API Gateway API key named after our key, on `plan`'s usage plan."""
        usage_plan_id = self.check(plan)
        created = self._apigateway.create_api_key(
            name=key_id,
            description=f"Shortener key {key_id} of {owner}",
            enabled=True,
            value="".join(secrets.choice(GATEWAY_KEY_ALPHABET) for _ in range(GATEWAY_KEY_LENGTH)),
        )
        key = GatewayKey(created["id"], created["value"])
        try:
            self._add(key.id, usage_plan_id)
        except Exception:
            self.delete_key(key.id)  # nothing half-made stays behind
            raise
        return key

    def move_key(self, gateway_key_id: str, from_plan: str | None, to_plan: str) -> None:
        """Off the usage plan it was on, then onto `to_plan`'s: a key is on one plan per stage,
        so between the two calls a request with it is refused (403)."""
        target = self.check(to_plan)
        previous = self.ids.get(from_plan) if from_plan else None
        if previous == target:
            return
        if previous is not None:
            self._remove(gateway_key_id, previous)
        self._add(gateway_key_id, target)

    def disable_key(self, gateway_key_id: str) -> None:
        self._apigateway.update_api_key(
            apiKey=gateway_key_id,
            patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}],
        )

    def delete_key(self, gateway_key_id: str) -> None:
        with contextlib.suppress(self._apigateway.exceptions.NotFoundException):
            self._apigateway.delete_api_key(apiKey=gateway_key_id)

    def flush_authorizer_cache(self) -> bool:
        """Flush the stage's cached authorizer answers; False when the stack has no stage."""
        stages = [
            resource["PhysicalResourceId"]
            for resource in self._stack.resources
            if resource.get("ResourceType") == "AWS::ApiGateway::Stage"
        ]
        api_ids = [
            resource["PhysicalResourceId"]
            for resource in self._stack.resources
            if resource.get("LogicalResourceId") == REST_API_LOGICAL_ID
        ]
        if not stages or not api_ids:
            return False
        for stage in stages:
            self._apigateway.flush_stage_authorizers_cache(restApiId=api_ids[0], stageName=stage)
        return True

    def _add(self, gateway_key_id: str, usage_plan_id: str) -> Any:
        return self._apigateway.create_usage_plan_key(
            usagePlanId=usage_plan_id, keyId=gateway_key_id, keyType="API_KEY"
        )

    def _remove(self, gateway_key_id: str, usage_plan_id: str) -> None:
        with contextlib.suppress(self._apigateway.exceptions.NotFoundException):
            self._apigateway.delete_usage_plan_key(usagePlanId=usage_plan_id, keyId=gateway_key_id)
