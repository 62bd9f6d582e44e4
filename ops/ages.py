"""How long the oldest message of each DLQ has been waiting, in seconds.

SQS has no attribute for it. Its CloudWatch metric ApproximateAgeOfOldestMessage has, on real
AWS, a datapoint a minute; where there is none (the local cloud, a queue that just filled, no
permission to read metrics) a sample of up to ten messages is read and let go at once. The
sample costs each of those messages one receive, which a DLQ (it has no redrive policy of its
own) does not act on. Messages keep their first SentTimestamp in a DLQ, so both count from
when the event first entered its queue.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ops.browse import HeldMessages
from ops.discovery import DeadLetterQueue

METRIC_WINDOW = timedelta(minutes=15)


def _from_cloudwatch(cloudwatch: Any, dlqs: list[DeadLetterQueue]) -> dict[str, int]:
    """The latest datapoint per DLQ; no entry where CloudWatch has none."""
    if not dlqs:
        return {}
    now = datetime.now(UTC)
    queries = [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": [{"Name": "QueueName", "Value": dlq.name}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for index, dlq in enumerate(dlqs)
    ]
    try:
        response = cloudwatch.get_metric_data(
            MetricDataQueries=queries,
            StartTime=now - METRIC_WINDOW,
            EndTime=now,
            ScanBy="TimestampDescending",
        )
    except (ClientError, NotImplementedError):
        return {}  # no metrics here, or no permission to read them: sample instead
    ages = {}
    for result in response["MetricDataResults"]:
        if result.get("Values"):
            ages[dlqs[int(result["Id"][1:])].name] = int(result["Values"][0])
    return ages


def _from_sample(sqs: Any, dlq: DeadLetterQueue) -> int | None:
    with HeldMessages(sqs, dlq.url) as held:
        sample = held.receive(wait_seconds=1)
    sent = [
        int(message["Attributes"]["SentTimestamp"])
        for message in sample
        if "SentTimestamp" in message.get("Attributes", {})
    ]
    return max(0, int(time.time() - min(sent) / 1000)) if sent else None


def oldest_message_ages(
    cloudwatch: Any, sqs: Any, dlqs: list[DeadLetterQueue]
) -> dict[str, int | None]:
    """Age in seconds per DLQ name, for DLQs that hold messages (None: none could be read)."""
    ages: dict[str, int | None] = dict(_from_cloudwatch(cloudwatch, dlqs))
    for dlq in dlqs:
        if ages.get(dlq.name) is None:
            ages[dlq.name] = _from_sample(sqs, dlq)
    return ages
