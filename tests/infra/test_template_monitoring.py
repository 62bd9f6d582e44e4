"""Alarms an operator is paged by, where they go, and a dashboard of the whole pipeline."""

from __future__ import annotations

import json

import pytest
from stack_template import PROD_ALARM_EMAIL, StackTemplate

QUEUE_NAMES = ["Qr", "Stats", "Email", "Webhooks", "Cdn", "Delivery", "WebhookNotice"]
RULE_NAMES = ["Qr", "Stats", "Email", "Webhooks", "Cdn"]
# The names docs/runbook.md documents, one section each.
ALARM_NAMES = {
    *(
        f"{q}{what}"
        for q in QUEUE_NAMES
        for what in ("DlqDepth", "QueueAge", "Errors", "Throttles")
    ),
    *(f"{r}RuleFailures" for r in RULE_NAMES),
    "PipeDlqDepth",
    "PipeFailures",
    "PipeThrottles",
    "Api5xx",
    "ApiLatencyP99",
    "ClicksIteratorAge",
    "ClicksDlqDepth",
    "ClicksErrors",
}


def _alarms(synth: StackTemplate) -> dict[str, dict]:
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in synth.of_type("AWS::CloudWatch::Alarm").values()
    }


def _alarm(dev: StackTemplate, what: str) -> dict:
    return _alarms(dev)[f"Shortener-dev-{what}"]


def _dead_letter_queues(dev: StackTemplate) -> set[str]:
    redriven = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in dev.of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    return redriven | {"PipeDeadLetterQueue"}


def test_alarm_names_are_the_documented_ones(dev: StackTemplate, prod: StackTemplate) -> None:
    assert set(_alarms(dev)) == {f"Shortener-dev-{name}" for name in ALARM_NAMES}
    # prod's web ACL (WAF is on there) adds its alarm.
    prod_names = (*ALARM_NAMES, "WafBlockedRequests")
    assert set(_alarms(prod)) == {f"Shortener-prod-{name}" for name in prod_names}


def test_every_dead_letter_queue_alarms_on_its_first_message(dev: StackTemplate) -> None:
    watched = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _alarms(dev).values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    assert watched == _dead_letter_queues(dev)
    for queue in _dead_letter_queues(dev):
        name = queue.removesuffix("DeadLetterQueue")
        alarm = _alarm(dev, f"{name}DlqDepth")
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Dimensions"] == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
        ]


@pytest.mark.parametrize("name", QUEUE_NAMES)
def test_every_source_queue_alarms_when_its_oldest_message_is_stuck(
    dev: StackTemplate, name: str
) -> None:
    alarm = _alarm(dev, f"{name}QueueAge")
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [f"{name}Queue", "QueueName"]}
    # A delivery retry waits as a message delayed by up to 15 minutes, then hops on.
    expected = 900 + 900 if name == "Delivery" else 900
    assert alarm["Threshold"] == expected


@pytest.mark.parametrize("name", QUEUE_NAMES)
def test_every_consumer_alarms_on_errors_and_throttles(dev: StackTemplate, name: str) -> None:
    function = dev.event_source_mapping(f"{name}Queue")["FunctionName"]
    for what, metric in (("Errors", "Errors"), ("Throttles", "Throttles")):
        alarm = _alarm(dev, f"{name}{what}")
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["MetricName"] == metric
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": function}]


def test_pipe_failures_count_failed_partial_and_timed_out_executions(dev: StackTemplate) -> None:
    alarm = _alarm(dev, "PipeFailures")
    metrics = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }
    assert set(metrics) == {"ExecutionFailed", "ExecutionPartiallyFailed", "ExecutionTimeout"}
    for metric in metrics.values():
        assert metric["Namespace"] == "AWS/EventBridge/Pipes"
        assert metric["Dimensions"] == [{"Name": "PipeName", "Value": {"Ref": "LinkEventsPipe"}}]


def test_rule_failures_watch_each_rule_by_its_name(dev: StackTemplate) -> None:
    for name in RULE_NAMES:
        alarm = _alarm(dev, f"{name}RuleFailures")
        assert alarm["Namespace"] == "AWS/Events"
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions["RuleName"] == dev.props(f"{name}Rule")["Name"]


def test_api_alarms_on_5xx_and_p99_latency(dev: StackTemplate) -> None:
    errors = _alarm(dev, "Api5xx")
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    latency = _alarm(dev, "ApiLatencyP99")
    assert latency["MetricName"] == "Latency"
    assert latency["ExtendedStatistic"] == "p99"
    stage = {d["Name"]: d["Value"] for d in latency["Dimensions"]}["Stage"]
    assert stage == "dev" or "Ref" in stage


def test_every_alarm_notifies_the_topic_when_firing_and_recovering(dev: StackTemplate) -> None:
    for name, alarm in _alarms(dev).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_alarm_topic_is_tls_only_and_open_to_this_stacks_alarms(dev: StackTemplate) -> None:
    ((_, policy),) = dev.of_type("AWS::SNS::TopicPolicy").items()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    (publish,) = [s for s in statements if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert "alarm:Shortener-dev-*" in json.dumps(publish["Condition"])


def test_alarm_email_is_subscribed_only_when_configured(
    dev: StackTemplate, prod: StackTemplate
) -> None:
    assert dev.of_type("AWS::SNS::Subscription") == {}
    ((_, subscription),) = prod.of_type("AWS::SNS::Subscription").items()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == PROD_ALARM_EMAIL


def test_dashboard_follows_a_change_from_api_to_dead_letter_queues(dev: StackTemplate) -> None:
    dashboard = dev.props("Dashboard")
    assert dashboard["DashboardName"] == "Shortener-dev"
    body = json.dumps(dashboard["DashboardBody"])
    for needle in (
        "AWS/ApiGateway",
        '"Ref\\": \\"LinkEventsPipe',
        "AWS/Events",
        *(f"{q}Queue" for q in QUEUE_NAMES),
        *(f"{q}DeadLetterQueue" for q in [*QUEUE_NAMES, "Pipe", "Clicks"]),
        "ClicksStream",
        "ClicksFunction",
        *(
            f"{q}Function"
            for q in ["Qr", "Stats", "Email", "WebhookDispatch", "WebhookDeliver", "Cdn"]
        ),
    ):
        assert needle.replace("\\", "") in body.replace("\\", ""), needle
