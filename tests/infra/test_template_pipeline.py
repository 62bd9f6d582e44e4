"""Stream -> Pipe -> bus: only link items become events, failures are bounded and kept."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from moto.events.models import EventPattern
from stack_template import StackTemplate

from infra.consumers import EVERY_CHANGE
from infra.pipeline import EVENT_SOURCE, LINK_SORT_KEY
from shortener import events, models


def _stream_record(pk: str, sk: str, event_name: str = "INSERT") -> dict:
    return {
        "eventID": "4b1f0c",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
            "NewImage": {"pk": {"S": pk}, "sk": {"S": sk}},
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


@pytest.fixture(scope="module")
def pipe(dev: StackTemplate) -> dict:
    return dev.props("LinkEventsPipe")


def test_infra_speaks_the_same_event_contract_as_the_code() -> None:
    assert EVENT_SOURCE == events.SOURCE
    assert LINK_SORT_KEY == models.LINK_SK
    assert set(EVERY_CHANGE) == set(events.EVENT_TYPES)


def test_pipe_reads_the_links_stream_from_now_on(pipe: dict) -> None:
    assert pipe["Source"] == {"Fn::GetAtt": ["LinksTable", "StreamArn"]}
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["StartingPosition"] == "LATEST"
    assert stream["BatchSize"] == 10


def test_pipe_failures_are_bounded_bisected_and_dead_lettered(pipe: dict) -> None:
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["MaximumRetryAttempts"] == 5
    assert stream["MaximumRecordAgeInSeconds"] == 3600
    assert stream["OnPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    assert stream["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["PipeDeadLetterQueue", "Arn"]}}


@pytest.mark.parametrize(
    ("pk", "sk", "event_name", "becomes_event"),
    [
        ("abc1234", "link", "INSERT", True),
        ("abc1234", "link", "MODIFY", True),
        ("abc1234", "link", "REMOVE", True),
        # The consumers' own writes must never loop back as link events.
        ("abc1234", "effect#qr", "INSERT", False),
        ("abc1234", "effect#webhooks", "MODIFY", False),
        ("stats#alice", "day#2026-11-26", "MODIFY", False),
        ("stats-event#evt_1", "counted", "INSERT", False),
    ],
)
def test_pipe_filter_passes_link_items_only(
    pipe: dict, pk: str, sk: str, event_name: str, becomes_event: bool
) -> None:
    (filter_,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    pattern = EventPattern.load(filter_["Pattern"])
    # moto types the argument as a bus event; Pipes filters use the same matching rules.
    record = cast(Any, _stream_record(pk, sk, event_name))
    assert pattern.matches_event(record) is becomes_event


def test_pipe_enriches_then_puts_typed_events_on_the_stage_bus(
    dev: StackTemplate, pipe: dict
) -> None:
    assert pipe["Enrichment"] == {"Fn::GetAtt": ["EnrichFunction", "Arn"]}
    assert pipe["Target"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert pipe["TargetParameters"] == {
        "EventBridgeEventBusParameters": {"Source": "shortener.links", "DetailType": "$.type"}
    }
    assert dev.props("EventBus")["Name"] == "shortener-dev"


def test_pipe_role_reads_the_stream_invokes_enrich_and_puts_events_only(
    dev: StackTemplate, pipe: dict
) -> None:
    role = pipe["RoleArn"]["Fn::GetAtt"][0]
    trust = dev.props(role)["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "pipes.amazonaws.com"}]
    statements = [
        s
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {
        action: json.dumps(s["Resource"])
        for s in statements
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert "LinksTable" in by_action["dynamodb:GetRecords"]
    assert by_action["lambda:InvokeFunction"] == json.dumps(
        {"Fn::GetAtt": ["EnrichFunction", "Arn"]}
    )
    assert "EventBus" in by_action["events:PutEvents"]
    assert "PipeDeadLetterQueue" in by_action["sqs:SendMessage"]
    assert not any(a.startswith(("dynamodb:Put", "dynamodb:Update", "s3:")) for a in by_action)


def test_pipe_dead_letter_queue_keeps_records_two_weeks(dev: StackTemplate) -> None:
    dlq = dev.props("PipeDeadLetterQueue")
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["SqsManagedSseEnabled"] is True


def test_every_link_event_is_archived_for_replay(dev: StackTemplate) -> None:
    archive = dev.props("EventArchive")
    assert archive["SourceArn"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert archive["EventPattern"] == {"source": ["shortener.links"]}
    assert archive["RetentionDays"] == 30
