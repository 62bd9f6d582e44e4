"""Links stream -> EventBridge Pipe (filter, enrichment) -> the stage's event bus, archived.

The Pipe is the L1 `CfnPipe` (as in aws-samples' eventbridge-pipes-dynamodbstream-to-sqs-cdk-
python), but unlike that sample it limits retries and record age and keeps a dead-letter queue.
"""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_pipes as pipes
from constructs import Construct

from infra.config import StageConfig
from infra.data import Tables
from infra.functions import FunctionFactory
from infra.logical_ids import pin_logical_id
from infra.nag import acknowledge
from infra.queues import dead_letter_queue
from infra.short_url import ShortBaseUrl

# The event contract (docs/events.md); shortener.events holds the same names for the code.
EVENT_SOURCE = "shortener.links"
LINK_SORT_KEY = "link"
# Only link items become events: effect statuses and counters written by the consumers share
# the table but never reach the bus, so no consumer can trigger itself.
LINK_ITEMS_ONLY = {"dynamodb": {"Keys": {"sk": {"S": [LINK_SORT_KEY]}}}}
ARCHIVE_RETENTION = Duration.days(30)
STREAM_BATCH_SIZE = 10
# A record failing this often, or this old, goes to the Pipe's DLQ instead of blocking its shard.
MAXIMUM_RETRY_ATTEMPTS = 5
MAXIMUM_RECORD_AGE_SECONDS = 3600


class EventPipeline(Construct):
    """The bus (one per stage) with its archive, the enrichment function and the Pipe."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: FunctionFactory,
        tables: Tables,
        short_base_url: ShortBaseUrl,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.bus = events.EventBus(self, "EventBus", event_bus_name=config.resource_prefix)
        pin_logical_id(self.bus, "EventBus")
        # Replayable history of every link event (`ops events replay`).
        self.archive = self.bus.archive(
            "EventArchive",
            archive_name=f"{config.resource_prefix}-links",
            description="Every link event, for replay",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE]),
            retention=ARCHIVE_RETENTION,
        )
        pin_logical_id(self.archive, "EventArchive")

        self.enrich_function = functions.create(
            self, "enrich", {"SHORT_BASE_URL_PARAMETER": short_base_url.parameter_name}
        )
        short_base_url.grant_read(self.enrich_function)

        self.dead_letter_queue = dead_letter_queue(self, "PipeDeadLetterQueue")
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the Pipe's DeadLetterConfig, which "
            "cdk-nag does not recognise (it only looks for queues' RedrivePolicy).",
        )
        self.log_group = config.log_group(self, "PipeLogs")

        self.role = iam.Role(
            self,
            "PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="Shortener link-events Pipe: read the stream, enrich, put on the bus",
        )
        tables.links.grant_stream_read(self.role)
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "dynamodb:ListStreams supports no resource-level permissions; every other stream "
            "action is scoped to the Links table's stream.",
        )
        # Not grant_invoke(), which adds every version and alias (`:*`): the Pipe calls $LATEST.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.enrich_function.function.function_arn],
            )
        )
        self.bus.grant_put_events_to(self.role)
        self.dead_letter_queue.grant_send_messages(self.role)
        self.log_group.grant_write(self.role)

        stream_arn = tables.links.table_stream_arn
        if stream_arn is None:
            raise ValueError("the Pipe's source is the Links table's stream, and it has none")
        self.pipe = pipes.CfnPipe(
            self,
            "Pipe",
            description="Links table stream -> link events on the bus",
            role_arn=self.role.role_arn,
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position="LATEST",
                    batch_size=STREAM_BATCH_SIZE,
                    maximum_retry_attempts=MAXIMUM_RETRY_ATTEMPTS,
                    maximum_record_age_in_seconds=MAXIMUM_RECORD_AGE_SECONDS,
                    # Halve a failing batch until the bad record is alone, then DLQ only it.
                    on_partial_batch_item_failure="AUTOMATIC_BISECT",
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=self.dead_letter_queue.queue_arn
                    ),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(LINK_ITEMS_ONLY))]
                ),
            ),
            enrichment=self.enrich_function.function.function_arn,
            target=self.bus.event_bus_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                    source=EVENT_SOURCE,
                    # The enrichment returns event details; each carries its type.
                    detail_type="$.type",
                )
            ),
            log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                level="ERROR",
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=self.log_group.log_group_name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ),
            ),
        )
        self.pipe.override_logical_id("LinkEventsPipe")
        # The Pipe checks its role's permissions when it is created: the policy must exist.
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            self.pipe.node.add_dependency(policy)

    @property
    def pipe_name(self) -> str:
        return self.pipe.ref
