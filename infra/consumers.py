"""The side effects: per consumer a rule on the bus, its own queue and DLQ, and its function.

Each side effect is isolated behind its own queue, so a slow or broken one (a partner, SES,
CloudFront) never holds back another or the link write. Rules target their queue with the
whole EventBridge event as the message body: no input transformer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from infra.config import StageConfig
from infra.data import Buckets, Tables
from infra.email_identity import SenderIdentity
from infra.functions import FunctionFactory, ShortenerFunction
from infra.logical_ids import pin_logical_id
from infra.nag import acknowledge
from infra.pipeline import EVENT_SOURCE
from infra.queues import QueueWithDeadLetterQueue

CREATED = ("link.created",)
EVERY_CHANGE = ("link.created", "link.updated", "link.deleted")
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 10
# Caps what one side effect can take from its peer (SES, a partner, CloudFront) and from the
# account's Lambda concurrency, whatever the backlog.
MAX_CONCURRENCY = 5
# The longest a delivery message waits on its queue: SQS's DelaySeconds ceiling, past which a
# retry hops on as a new message (shortener/webhooks/schedule.py).
DELIVERY_HOP_DELAY = Duration.minutes(15)


class QueueConsumer(Construct):
    """A function fed by its own queue, reporting partial batch failures."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        function_name: str,
        functions: FunctionFactory,
        environment: Mapping[str, str],
        batch_size: int = BATCH_SIZE,
        max_receive_count: int = MAX_RECEIVE_COUNT,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.rule: events.Rule | None = None
        self.rule_name: str | None = None
        self.function = functions.create(self, function_name, environment)
        self.queues = QueueWithDeadLetterQueue(
            self,
            "Queues",
            name=name,
            consumer_timeout=self.function.timeout,
            max_receive_count=max_receive_count,
        )
        self.function.function.add_event_source(
            event_sources.SqsEventSource(
                self.queues.queue,
                batch_size=batch_size,
                # Side effects should follow the link write promptly: no batching delay; under
                # load batches fill up by themselves.
                max_batching_window=Duration.seconds(0),
                report_batch_item_failures=True,
                max_concurrency=MAX_CONCURRENCY,
            )
        )

    def subscribe(self, bus: events.IEventBus, rule_name: str, event_types: Sequence[str]) -> None:
        """Send the bus's link events of `event_types` to this consumer's queue."""
        self.rule_name = rule_name
        self.rule = events.Rule(
            self,
            f"{self.name}Rule",
            event_bus=bus,
            # Named: metrics and alarms need the plain rule name (Ref is `bus|rule`).
            rule_name=rule_name,
            description=f"Link events for the {self.function.name} consumer",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=list(event_types)),
            targets=[targets.SqsQueue(self.queues.queue)],
        )
        pin_logical_id(self.rule, f"{self.name}Rule")


class SideEffects(Construct):
    """qr, stats, email, webhooks (dispatch + per-endpoint delivery) and cdn."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: FunctionFactory,
        tables: Tables,
        buckets: Buckets,
        bus: events.IEventBus,
        distribution: cloudfront.IDistribution,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._functions = functions
        self._bus = bus
        self._tables = tables
        self.qr = self._qr(buckets)
        self.stats = self._stats()
        self.email = self._email()
        self.notice = self._webhook_notice()
        self.delivery = self._webhook_delivery()
        self.webhooks = self._webhook_dispatch()
        self.cdn = self._cdn(distribution)

    def _qr(self, buckets: Buckets) -> QueueConsumer:
        tables = self._tables
        qr = self._consumer(
            "Qr",
            "qr",
            EVERY_CHANGE,
            {
                "LINKS_TABLE_NAME": tables.links.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency.table_name,
                "QR_BUCKET_NAME": buckets.qr.bucket_name,
            },
        )
        qr.function.grant_read_write_data(tables.links)
        qr.function.grant_read_write_data(tables.idempotency)
        qr.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject"],
                resources=[buckets.qr.arn_for_objects("*")],
            )
        )
        acknowledge(
            qr.function,
            "AwsSolutions-IAM5[Resource::<QrBucket.Arn>/*]",
            "The qr consumer writes and deletes the images of each link code, codes being created "
            "at run time; the grant is s3:PutObject and s3:DeleteObject on this bucket only.",
        )
        return qr

    def _stats(self) -> QueueConsumer:
        links = self._tables.links
        stats = self._consumer(
            "Stats", "stats", EVERY_CHANGE, {"LINKS_TABLE_NAME": links.table_name}
        )
        stats.function.grant_read_write_data(links)
        return stats

    def _email(self) -> QueueConsumer:
        tables = self._tables
        self.sender = SenderIdentity(self, "EmailSender", settings=self._config.email)
        email = self._consumer(
            "Email",
            "email",
            CREATED,
            {
                "LINKS_TABLE_NAME": tables.links.table_name,
                "KEYS_TABLE_NAME": tables.keys.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency.table_name,
                "EMAIL_SENDER": self.sender.sender,
            },
        )
        email.function.grant_read_write_data(tables.links)
        email.function.grant_read_data(tables.keys)
        email.function.grant_read_write_data(tables.idempotency)
        self.sender.grant_send_email(email.function.function)
        return email

    def _webhook_notice(self) -> QueueConsumer:
        """The owner's email when an endpoint is disabled: its own queue, DLQ and idempotency,
        so a slow or failing SES never holds up a delivery."""
        tables = self._tables
        notice = QueueConsumer(
            self,
            "WebhookNoticeConsumer",
            name="WebhookNotice",
            function_name="webhook_notice",
            functions=self._functions,
            environment={
                "KEYS_TABLE_NAME": tables.keys.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency.table_name,
                "EMAIL_SENDER": self.sender.sender,
            },
        )
        notice.function.grant_read_data(tables.keys)
        notice.function.grant_read_write_data(tables.idempotency)
        self.sender.grant_send_email(notice.function.function)
        return notice

    def _webhook_delivery(self) -> QueueConsumer:
        """One message per attempt of one (event, endpoint): each partner on its own schedule.

        A retry is a new message the deliverer sends to its own queue (delayed, hopping every
        15 minutes until due), so the schedule can be longer than SQS's delay and visibility
        limits; the last try's failure is sent to the DLQ by the deliverer itself. The queue's
        maxReceiveCount only catches messages the function could not handle at all.
        """
        tables = self._tables
        delivery = QueueConsumer(
            self,
            "DeliveryConsumer",
            name="Delivery",
            function_name="webhook_deliver",
            functions=self._functions,
            environment={
                "WEBHOOKS_TABLE_NAME": tables.webhooks.table_name,
                "WEBHOOK_RETRY_DELAYS": json.dumps(list(self._config.webhook_retry_delays_seconds)),
                "WEBHOOK_DISABLE_AFTER": json.dumps(self._config.webhook_disable_after or {}),
                "ALLOW_LOOPBACK_WEBHOOKS": self._config.allow_loopback_webhooks,
                "WEBHOOK_NOTICE_QUEUE_URL": self.notice.queues.queue.queue_url,
            },
            # One delivery per invocation, so that a slow partner never holds another's.
            batch_size=1,
        )
        queues = delivery.queues
        # Its own queue's URL and its DLQ's: set after creation, the queues need the function's
        # timeout for their visibility timeout.
        delivery.function.function.add_environment("DELIVERY_QUEUE_URL", queues.queue.queue_url)
        delivery.function.function.add_environment(
            "DELIVERY_DEAD_LETTER_QUEUE_URL", queues.dead_letter_queue.queue_url
        )
        delivery.function.grant_read_write_data(tables.webhooks)
        for queue in (queues.queue, queues.dead_letter_queue, self.notice.queues.queue):
            queue.grant_send_messages(delivery.function.function)
        return delivery

    def let_queue_deliveries(self, function: ShortenerFunction) -> None:
        """Give a function (the API's) DELIVERY_QUEUE_URL and the right to send to it."""
        queue = self.delivery.queues.queue
        function.function.add_environment("DELIVERY_QUEUE_URL", queue.queue_url)
        queue.grant_send_messages(function.function)

    def _webhook_dispatch(self) -> QueueConsumer:
        tables = self._tables
        delivery_queue = self.delivery.queues.queue
        dispatch = self._consumer(
            "Webhooks",
            "webhook_dispatch",
            EVERY_CHANGE,
            {
                "LINKS_TABLE_NAME": tables.links.table_name,
                "WEBHOOKS_TABLE_NAME": tables.webhooks.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency.table_name,
                "DELIVERY_QUEUE_URL": delivery_queue.queue_url,
            },
        )
        dispatch.function.grant_read_write_data(tables.links)
        dispatch.function.grant_read_write_data(tables.webhooks)
        dispatch.function.grant_read_write_data(tables.idempotency)
        delivery_queue.grant_send_messages(dispatch.function.function)
        return dispatch

    def _cdn(self, distribution: cloudfront.IDistribution) -> QueueConsumer:
        links = self._tables.links
        cdn = self._consumer(
            "Cdn",
            "cdn",
            EVERY_CHANGE,
            {"LINKS_TABLE_NAME": links.table_name, "DISTRIBUTION_ID": distribution.distribution_id},
        )
        cdn.function.grant_read_write_data(links)
        distribution.grant_create_invalidation(cdn.function.function)
        return cdn

    @property
    def link_event_consumers(self) -> list[QueueConsumer]:
        """The consumers fed by a rule on the bus, in pipeline order."""
        return [self.qr, self.stats, self.email, self.webhooks, self.cdn]

    @property
    def all(self) -> list[QueueConsumer]:
        return [*self.link_event_consumers, self.delivery, self.notice]

    def _consumer(
        self,
        name: str,
        function_name: str,
        event_types: Sequence[str],
        environment: Mapping[str, str],
    ) -> QueueConsumer:
        consumer = QueueConsumer(
            self,
            f"{name}Consumer",
            name=name,
            function_name=function_name,
            functions=self._functions,
            environment=environment,
        )
        consumer.subscribe(self._bus, f"{self._config.resource_prefix}-{name.lower()}", event_types)
        return consumer
