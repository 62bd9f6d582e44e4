"""The click pipeline's transport: CloudFront's real-time logs -> a Kinesis stream -> the clicks
consumer, with an on-failure DLQ that `ops dlq` redrives through a replay queue.

A redirect never waits for a click to be counted: CloudFront logs every request it answers,
cache hits included, as it answers it, and that log is the message broker. What the consumer does
with a record (parse, classify, count once per edge request id) lives in shortener/clicks/.

- Real-time logs: fields, sampling, the role CloudFront writes to the stream with
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
- Kinesis event source: bisect, retries, record age, partial batch responses, on-failure
  destination https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.data import Tables
from infra.functions import FunctionFactory
from infra.logical_ids import pin_logical_id
from infra.nag import acknowledge
from infra.queues import DEAD_LETTER_RETENTION, dead_letter_queue

# The log record's fields. CloudFront writes a record's fields in the fixed order of its
# documentation's field list, whatever order a configuration names them in; this list is in
# that order, so its order is also each record's (the consumer gets it as CLICK_LOG_FIELDS).
REALTIME_LOG_FIELDS = (
    "timestamp",
    "c-ip",
    "sc-status",
    "cs-method",
    "cs-host",
    "cs-uri-stem",
    "x-edge-request-id",
    "cs-user-agent",
    "cs-referer",
    "cs-uri-query",
    "x-edge-result-type",
    "c-country",
)
# Every viewer request is a click to count, not a sample of them.
SAMPLING_RATE = 100
# What CloudFront's role needs on the stream, as the real-time logs guide lists it.
LOG_WRITER_ACTIONS = (
    "kinesis:DescribeStreamSummary",
    "kinesis:DescribeStream",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
)
# A failing batch is split and retried this often before its description goes to the DLQ.
RETRY_ATTEMPTS = 3
# Past this age a batch goes to the DLQ instead of holding its shard back (a consumer down for
# hours must not leave counts that stale); a redrive then counts it from the stream.
MAX_RECORD_AGE = Duration.hours(6)
# The stream keeps a record for as long as its on-failure description can wait in the DLQ,
# plus the age at which it got there, plus a day: a redrive can always re-read what it describes.
STREAM_RETENTION = Duration.hours(DEAD_LETTER_RETENTION.to_hours() + MAX_RECORD_AGE.to_hours() + 24)
REPLAY_MAX_RECEIVE_COUNT = 5
REPLAY_BATCH_SIZE = 10


class ClickPipeline(Construct):
    """The stream, its writer role and log config, the clicks function and both its triggers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: FunctionFactory,
        tables: Tables,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(
            self,
            "ClicksStream",
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.MANAGED,
            retention_period=STREAM_RETENTION,
            removal_policy=config.removal_policy,
        )
        pin_logical_id(self.stream, "ClicksStream")
        self.log_config = self._log_config(config)
        self.visitor_secret = self._visitor_secret(config)
        self.dead_letter_queue = dead_letter_queue(self, "ClicksDeadLetterQueue")

        self.function = functions.create(
            self,
            "clicks",
            {
                "CLICK_LOG_FIELDS": ",".join(REALTIME_LOG_FIELDS),
                "CLICKS_TABLE_NAME": tables.clicks.table_name,
                "LINKS_TABLE_NAME": tables.links.table_name,
                "VISITOR_SECRET_ARN": self.visitor_secret.secret_arn,
                "CLICK_RETENTION_DAYS": str(config.click_retention_days),
            },
        )
        self.function.grant_read_write_data(tables.clicks)
        self.function.grant_read_data(tables.links)
        self.visitor_secret.grant_read(self.function.function)
        # A redrive re-reads the records an on-failure description names (GetShardIterator at
        # its start sequence number, GetRecords to its end): the consumer reads the stream too.
        self.stream.grant_read(self.function.function)

        self.replay_queue = sqs.Queue(
            self,
            "ClicksReplayQueue",
            visibility_timeout=Duration.seconds(6 * self.function.timeout.to_seconds()),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=REPLAY_MAX_RECEIVE_COUNT, queue=self.dead_letter_queue
            ),
        )
        pin_logical_id(self.replay_queue, "ClicksReplayQueue")
        self.max_receive_count = REPLAY_MAX_RECEIVE_COUNT

        handler: lambda_.Function = self.function.function
        self.stream_trigger = event_sources.KinesisEventSource(
            self.stream,
            # From the oldest record kept: what CloudFront logged before the mapping existed
            # (a first deploy) or while it was disabled is still counted, never skipped.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=config.click_batch_size,
            max_batching_window=Duration.seconds(config.click_batching_window_seconds),
            bisect_batch_on_error=True,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
            report_batch_item_failures=True,
            on_failure=event_sources.SqsDlq(self.dead_letter_queue),
        )
        handler.add_event_source(self.stream_trigger)
        handler.add_event_source(
            event_sources.SqsEventSource(
                self.replay_queue,
                batch_size=REPLAY_BATCH_SIZE,
                max_batching_window=Duration.seconds(0),
                report_batch_item_failures=True,
            )
        )

    def _log_config(self, config: StageConfig) -> cloudfront.RealtimeLogConfig:
        role = iam.Role(
            self,
            "ClicksLogWriterRole",
            assumed_by=iam.ServicePrincipal("cloudfront.amazonaws.com"),
            description="CloudFront writes the distribution's real-time logs to the clicks stream",
        )
        pin_logical_id(role, "ClicksLogWriterRole")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(LOG_WRITER_ACTIONS), resources=[self.stream.stream_arn]
            )
        )
        log_config = cloudfront.RealtimeLogConfig(
            self,
            "ClicksRealtimeLogConfig",
            realtime_log_config_name=f"{config.resource_prefix}-clicks",
            end_points=[cloudfront.Endpoint.from_kinesis_stream(self.stream, role)],
            fields=list(REALTIME_LOG_FIELDS),
            sampling_rate=SAMPLING_RATE,
        )
        pin_logical_id(log_config, "ClicksRealtimeLogConfig")
        return log_config

    def _visitor_secret(self, config: StageConfig) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "VisitorSecret",
            description=f"Shortener ({config.stage}): the key visitor hashes derive their daily "
            "salt from; never leaves the clicks consumer",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=config.removal_policy,
        )
        pin_logical_id(secret, "VisitorSecret")
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Visitor hashes already change every day (the salt is derived per day from this "
            "key); rotating the key itself would only split one day's unique visitors in two.",
        )
        return secret
