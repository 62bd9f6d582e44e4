"""Alarms and the SNS topic they notify; the dashboard that shows them all.

Every alarm is named `Shortener-{stage}-<What>` and notifies the topic when it fires and when
it recovers. docs/runbook.md has one section per alarm.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.api import ShortenerApi
from infra.clicks import ClickPipeline
from infra.config import StageConfig
from infra.consumers import DELIVERY_HOP_DELAY, QueueConsumer, SideEffects
from infra.dashboard import PipelineDashboard
from infra.edge_firewall import EdgeFirewall
from infra.logical_ids import pin_logical_id
from infra.metrics import PERIOD, dead_letter_depth, pipe_metric, rule_metric
from infra.pipeline import EventPipeline

# A side-effect message waiting longer than this means its consumer is stuck or failing.
QUEUE_AGE_LIMIT = Duration.minutes(15)
API_LATENCY_P99_LIMIT_MS = 1000
# Scanners get blocked now and then; this many blocks in 5 minutes is a flood, or a rule
# refusing real users (docs/runbook.md, WafBlockedRequests).
WAF_BLOCKED_REQUESTS_LIMIT = 100
# Clicks are counted within seconds; minutes behind means the consumer is failing or throttled.
CLICKS_ITERATOR_AGE_LIMIT = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: ShortenerApi,
        pipeline: EventPipeline,
        side_effects: SideEffects,
        clicks: ClickPipeline,
        firewall: EdgeFirewall | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._pipeline = pipeline
        self._side_effects = side_effects
        self.alarm_name_prefix = f"Shortener-{config.stage}-"
        self.topic = self._alarm_topic()
        self.alarms: list[cw.Alarm] = []

        self._api_alarms(api)
        self._pipe_alarms()
        for consumer in side_effects.all:
            self._consumer_alarms(consumer)
        self._click_alarms(clicks)
        if firewall is not None:
            self._firewall_alarms(firewall)

        self.dashboard = PipelineDashboard(
            self,
            "PipelineDashboard",
            config=config,
            api=api,
            pipeline=pipeline,
            side_effects=side_effects,
            clicks=clicks,
            alarms=self.alarms,
        ).dashboard
        if firewall is not None:
            self.dashboard.add_widgets(_firewall_widget(firewall))

    # -- topic ---------------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Shortener {self._config.stage} alarms",
            enforce_ssl=True,
        )
        pin_logical_id(topic, "AlarmTopic")
        stack = Stack.of(self)
        # The topic policy replaces SNS's default one: let this stack's alarms publish.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowShortenerAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{self.alarm_name_prefix}*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        if self._config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self._config.alarm_email))
        return topic

    def _alarm(
        self,
        what: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            what,
            alarm_name=f"{self.alarm_name_prefix}{what}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            # No data means nothing happened: no requests, no failures, an empty queue.
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    # -- alarms --------------------------------------------------------------------------------

    def _firewall_alarms(self, firewall: EdgeFirewall) -> None:
        self._alarm(
            "WafBlockedRequests",
            firewall.metric("BlockedRequests"),
            threshold=WAF_BLOCKED_REQUESTS_LIMIT,
            description=f"The web ACL blocked more than {WAF_BLOCKED_REQUESTS_LIMIT} requests "
            "in 5 minutes: a flood, or a rate limit or managed rule refusing real users. See "
            "the web ACL's sampled requests (docs/runbook.md, WafBlockedRequests).",
        )

    def _api_alarms(self, api: ShortenerApi) -> None:
        self._alarm(
            "Api5xx",
            api.stage.metric_server_error(period=PERIOD, statistic=cw.Stats.SUM),
            threshold=0,
            description="The API answered 5xx: by contract bad input never does, so a function "
            "failed, timed out or was throttled. See the api/redirect/authorizer logs.",
        )
        self._alarm(
            "ApiLatencyP99",
            api.stage.metric_latency(period=PERIOD, statistic=cw.Stats.p(99)),
            threshold=API_LATENCY_P99_LIMIT_MS,
            evaluation_periods=3,
            description=f"API p99 latency above {API_LATENCY_P99_LIMIT_MS} ms for 15 minutes.",
        )

    def _pipe_alarms(self) -> None:
        pipeline = self._pipeline
        self._alarm(
            "PipeDlqDepth",
            dead_letter_depth(pipeline.dead_letter_queue),
            threshold=0,
            description="Stream records the Pipe gave up on (retries or record age exhausted): "
            "those link changes produced no event. Inspect with `ops dlq peek`.",
        )
        self._alarm(
            "PipeFailures",
            cw.MathExpression(
                expression="FILL(failed, 0) + FILL(partial, 0) + FILL(timedout, 0)",
                using_metrics={
                    "failed": pipe_metric(self._pipeline, "ExecutionFailed"),
                    "partial": pipe_metric(self._pipeline, "ExecutionPartiallyFailed"),
                    "timedout": pipe_metric(self._pipeline, "ExecutionTimeout"),
                },
                label="Failed Pipe executions",
                period=PERIOD,
            ),
            threshold=0,
            description="Pipe executions failed or timed out (enrichment or bus). They are "
            "retried; records that keep failing reach the Pipe DLQ.",
        )
        self._alarm(
            "PipeThrottles",
            pipe_metric(self._pipeline, "ExecutionThrottled"),
            threshold=0,
            description="Pipe executions were throttled: link events are delayed.",
        )

    def _consumer_alarms(self, consumer: QueueConsumer) -> None:
        name = consumer.name
        queues = consumer.queues
        function = consumer.function
        self._alarm(
            f"{name}DlqDepth",
            dead_letter_depth(queues.dead_letter_queue),
            threshold=0,
            description=f"Messages in {queues.dead_letter_queue.node.id}: the {function.name} "
            f"consumer failed them {queues.max_receive_count} times. "
            "Inspect with `ops dlq peek`, then redrive.",
        )
        self._alarm(
            f"{name}QueueAge",
            queues.queue.metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic=cw.Stats.MAXIMUM
            ),
            threshold=self._queue_age_limit(consumer).to_seconds(),
            description=f"The oldest message in {queues.queue.node.id} is older than expected: "
            f"the {function.name} consumer is stuck, failing or throttled.",
        )
        self._alarm(
            f"{name}Errors",
            function.function.metric_errors(period=PERIOD, statistic=cw.Stats.SUM),
            threshold=0,
            description=f"The {function.name} function failed whole invocations (crash or "
            "timeout), not single records: its whole batches are being retried.",
        )
        self._alarm(
            f"{name}Throttles",
            function.function.metric_throttles(period=PERIOD, statistic=cw.Stats.SUM),
            threshold=0,
            description=f"The {function.name} function was throttled: account concurrency is "
            "exhausted.",
        )
        if consumer.rule_name:
            self._alarm(
                f"{name}RuleFailures",
                rule_metric(self._pipeline, consumer.rule_name, "FailedInvocations"),
                threshold=0,
                description=f"The bus could not deliver events to {queues.queue.node.id} after "
                "retrying: those events are lost to this consumer (replay them from the archive).",
            )

    def _click_alarms(self, clicks: ClickPipeline) -> None:
        function = clicks.function.function
        self._alarm(
            "ClicksIteratorAge",
            function.metric("IteratorAge", period=PERIOD, statistic=cw.Stats.MAXIMUM),
            threshold=CLICKS_ITERATOR_AGE_LIMIT.to_milliseconds(),
            evaluation_periods=3,
            description="The clicks consumer is more than "
            f"{CLICKS_ITERATOR_AGE_LIMIT.to_minutes()} minutes behind the stream for 15 "
            "minutes: counts are stale, and batches older than the mapping's maximum record age "
            "go to the clicks DLQ. See the clicks logs.",
        )
        self._alarm(
            "ClicksDlqDepth",
            dead_letter_depth(clicks.dead_letter_queue),
            threshold=0,
            description="Descriptions of click batches the consumer gave up on (retries or record "
            "age exhausted): those clicks are not counted yet. `ops dlq redrive clicks-dlq` "
            "counts them from the stream (each once).",
        )
        self._alarm(
            "ClicksErrors",
            function.metric_errors(period=PERIOD, statistic=cw.Stats.SUM),
            threshold=0,
            description="The clicks function failed whole invocations (crash or timeout): the "
            "mapping splits and retries those batches.",
        )

    def _queue_age_limit(self, consumer: QueueConsumer) -> Duration:
        if consumer is self._side_effects.delivery:
            # A retry waits as a delayed message (up to 15 minutes, then it hops on): only a
            # message older than its delay plus the usual limit is stuck.
            return Duration.seconds(DELIVERY_HOP_DELAY.to_seconds() + QUEUE_AGE_LIMIT.to_seconds())
        return QUEUE_AGE_LIMIT


def _firewall_widget(firewall: EdgeFirewall) -> cw.GraphWidget:
    """Edge: what the web ACL let through, and what each of its rules blocked."""
    return cw.GraphWidget(
        title="0. Edge: WAF requests",
        left=[firewall.metric("AllowedRequests", label="Allowed")],
        right=[
            firewall.metric("BlockedRequests", rule=rule, label=f"Blocked: {rule}")
            for rule in firewall.rule_names
        ],
        width=12,
        height=6,
    )
