"""A dashboard that follows a link change end to end: "is anything stuck, and where?"."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from infra.api import ShortenerApi
from infra.clicks import ClickPipeline
from infra.config import StageConfig
from infra.consumers import SideEffects
from infra.logical_ids import pin_logical_id
from infra.metrics import PERIOD, dead_letter_depth, pipe_metric, rule_metric
from infra.pipeline import EventPipeline


class PipelineDashboard(Construct):
    """Rows in the order a link change travels: API, Pipe, bus, queues, consumers, DLQs."""

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
        alarms: Sequence[cw.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self._clicks = clicks
        self._config = config
        self._pipeline = pipeline
        self._side_effects = side_effects
        self.dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"Shortener-{config.stage}",
            default_interval=Duration.hours(3),
        )
        pin_logical_id(self.dashboard, "Dashboard")
        self._fill(api, alarms)

    def _fill(self, api: ShortenerApi, alarms: Sequence[cw.IAlarm]) -> None:
        consumers = self._side_effects.all
        rules = [(c.name, c.rule_name) for c in consumers if c.rule_name]
        stage = api.stage
        self.dashboard.add_widgets(
            cw.TextWidget(
                markdown=f"# Shortener {self._config.stage}\nA link write (API) becomes a "
                "stream record, the Pipe turns it into an event on the bus, each rule queues it "
                "for one consumer; what fails for good waits in a DLQ (`python -m ops dlq list`).",
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            _graph(
                "1. API requests",
                [stage.metric_count(period=PERIOD, label="Requests")],
                right=[
                    stage.metric_client_error(period=PERIOD, label="4xx"),
                    stage.metric_server_error(period=PERIOD, label="5xx"),
                ],
            ),
            _graph(
                "1. API latency (ms)",
                [
                    stage.metric_latency(period=PERIOD, statistic=cw.Stats.p(50), label="p50"),
                    stage.metric_latency(period=PERIOD, statistic=cw.Stats.p(99), label="p99"),
                    stage.metric_integration_latency(
                        period=PERIOD, statistic=cw.Stats.p(99), label="integration p99"
                    ),
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "2. Pipe: stream records to events",
                [
                    pipe_metric(self._pipeline, "Invocations"),
                    pipe_metric(self._pipeline, "EventCount"),
                ],
                right=[
                    pipe_metric(self._pipeline, "ExecutionFailed"),
                    pipe_metric(self._pipeline, "ExecutionPartiallyFailed"),
                    pipe_metric(self._pipeline, "ExecutionTimeout"),
                    pipe_metric(self._pipeline, "ExecutionThrottled"),
                ],
            ),
            _graph(
                "2. Pipe duration (ms, p99)",
                [
                    pipe_metric(self._pipeline, "Duration", cw.Stats.p(99)),
                    pipe_metric(self._pipeline, "EnrichmentStageDuration", cw.Stats.p(99)),
                    pipe_metric(self._pipeline, "TargetStageDuration", cw.Stats.p(99)),
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "3. Bus: events matched per rule",
                [rule_metric(self._pipeline, rule, "MatchedEvents", name) for name, rule in rules],
            ),
            _graph(
                "3. Bus: failed deliveries to queues",
                [
                    rule_metric(self._pipeline, rule, "FailedInvocations", name)
                    for name, rule in rules
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "4. Queue depth (visible messages)",
                [
                    c.queues.queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic=cw.Stats.MAXIMUM, label=c.name
                    )
                    for c in consumers
                ],
            ),
            _graph(
                "4. Oldest message age (s)",
                [
                    c.queues.queue.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic=cw.Stats.MAXIMUM, label=c.name
                    )
                    for c in consumers
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "5. Consumer invocations",
                [
                    c.function.function.metric_invocations(period=PERIOD, label=c.function.name)
                    for c in consumers
                ],
            ),
            _graph(
                "5. Consumer errors and throttles",
                [
                    c.function.function.metric_errors(
                        period=PERIOD, label=f"{c.function.name} errors"
                    )
                    for c in consumers
                ],
                right=[
                    c.function.function.metric_throttles(
                        period=PERIOD, label=f"{c.function.name} throttles"
                    )
                    for c in consumers
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "6. Dead-letter queues (messages waiting for an operator)",
                [
                    dead_letter_depth(self._pipeline.dead_letter_queue, "Pipe"),
                    *[dead_letter_depth(c.queues.dead_letter_queue, c.name) for c in consumers],
                    dead_letter_depth(self._clicks.dead_letter_queue, "Clicks"),
                ],
            ),
            cw.AlarmStatusWidget(
                title="Alarms",
                alarms=list(alarms),
                width=12,
                height=6,
                sort_by=cw.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
            ),
        )
        self._click_widgets()

    def _click_widgets(self) -> None:
        """Clicks travel apart from link events: CloudFront's log -> stream -> clicks consumer."""
        clicks = self._clicks
        function = clicks.function.function
        self.dashboard.add_widgets(
            _graph(
                "7. Clicks: log records in, consumer invocations",
                [clicks.stream.metric_incoming_records(period=PERIOD, label="records in")],
                right=[function.metric_invocations(period=PERIOD, label="clicks invocations")],
            ),
            _graph(
                "7. Clicks: consumer lag (iterator age, ms) and errors",
                [
                    function.metric(
                        "IteratorAge",
                        period=PERIOD,
                        statistic=cw.Stats.MAXIMUM,
                        label="iterator age max",
                    )
                ],
                right=[function.metric_errors(period=PERIOD, label="clicks errors")],
            ),
        )


def _graph(
    title: str, left: Sequence[cw.IMetric], right: Sequence[cw.IMetric] = ()
) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=list(left), right=list(right), width=12, height=6)
