"""The CloudWatch metrics alarms and the dashboard share, defined once."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sqs as sqs

from infra.pipeline import EventPipeline

PERIOD = Duration.minutes(5)
# SQS publishes queue metrics every minute: a DLQ's first message should page within minutes.
DLQ_PERIOD = Duration.minutes(1)
PIPES_NAMESPACE = "AWS/EventBridge/Pipes"
EVENTS_NAMESPACE = "AWS/Events"


def pipe_metric(
    pipeline: EventPipeline, metric_name: str, statistic: str = cw.Stats.SUM
) -> cw.Metric:
    """A metric of the link-events Pipe (ExecutionFailed, EventCount, Duration ...)."""
    return cw.Metric(
        namespace=PIPES_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"PipeName": pipeline.pipe_name},
        statistic=statistic,
        period=PERIOD,
    )


def rule_metric(
    pipeline: EventPipeline, rule_name: str, metric_name: str, label: str | None = None
) -> cw.Metric:
    """A metric of one rule on the stage's bus (MatchedEvents, FailedInvocations ...)."""
    return cw.Metric(
        namespace=EVENTS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"EventBusName": pipeline.bus.event_bus_name, "RuleName": rule_name},
        statistic=cw.Stats.SUM,
        period=PERIOD,
        label=label,
    )


def dead_letter_depth(queue: sqs.IQueue, label: str | None = None) -> cw.Metric:
    return queue.metric_approximate_number_of_messages_visible(
        period=DLQ_PERIOD, statistic=cw.Stats.MAXIMUM, label=label
    )
