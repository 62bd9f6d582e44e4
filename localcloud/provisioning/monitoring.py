"""Log groups, alarms and dashboards, in moto (they store; nothing evaluates alarms)."""

from __future__ import annotations

from typing import Any

from localcloud.names import arn
from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    pick,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource

_ALARM_PARAMETERS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


@provisions("AWS::Logs::LogGroup")
def log_group(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    logs = context.aws("logs")
    name = props.get("LogGroupName") or context.name(resource.logical_id, 512)
    request: dict[str, Any] = {"logGroupName": name}
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        request["tags"] = tags
    logs.create_log_group(**request)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Provisioned(name, {"Arn": arn("logs", f"log-group:{name}:*")}, "moto")


@provisions("AWS::CloudWatch::Alarm")
def alarm(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("AlarmName") or context.name(resource.logical_id, 255)
    request = {"AlarmName": name, **pick(props, *_ALARM_PARAMETERS)}
    if "Threshold" in props:
        request["Threshold"] = float(props["Threshold"])
    context.aws("cloudwatch").put_metric_alarm(**request)
    return Provisioned(name, {"Arn": arn("cloudwatch", f"alarm:{name}")}, "moto", "not evaluated")


@provisions("AWS::CloudWatch::Dashboard")
def dashboard(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("DashboardName") or context.name(resource.logical_id, 255)
    context.aws("cloudwatch").put_dashboard(
        DashboardName=name, DashboardBody=props["DashboardBody"]
    )
    return Provisioned(name, {}, "moto")
