"""EventBridge PutEvents as IAM authorizes it: events:PutEvents on each entry's bus
(`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`; no name is the default bus).

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html
"""

from __future__ import annotations

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import arn


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    if request.target != "PutEvents":
        return None
    buses = {
        str(entry.get("EventBusName") or "default") for entry in request.json.get("Entries", [])
    }
    return [Authorization("events:PutEvents", bus_arn(bus)) for bus in sorted(buses)]


def bus_arn(bus: str) -> str:
    return bus if bus.startswith("arn:") else arn("events", f"event-bus/{bus}")
