"""How long the oldest message of each DLQ has been waiting, in seconds, without reading it.

SQS has no queue attribute for it, and reading a message is a receive, which SQS counts in its
ApproximateReceiveCount: an operator's look would then change what the next look shows. The
age comes from SQS's CloudWatch metric ApproximateAgeOfOldestMessage instead
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
which AWS publishes every minute; where it has no datapoint (the local cloud, a queue that just
filled, no permission to read metrics) the age is unknown (None), never estimated by reading.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

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
        return {}  # no metrics here, or no permission to read them: ages unknown
    ages = {}
    for result in response["MetricDataResults"]:
        if result.get("Values"):
            ages[dlqs[int(result["Id"][1:])].name] = int(result["Values"][0])
    return ages


def oldest_message_ages(cloudwatch: Any, dlqs: list[DeadLetterQueue]) -> dict[str, int]:
    """Age in seconds per DLQ name, for the DLQs CloudWatch has a recent datapoint of."""
    return _from_cloudwatch(cloudwatch, dlqs)
