"""The Shortener stack: the constructs of each concern, wired together, and its outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, CfnOutput, Stack, Tags
from constructs import Construct

from infra.api import ShortenerApi
from infra.cdn import Cdn
from infra.clicks import ClickPipeline
from infra.config import StageConfig, load_cdk_context
from infra.consumers import SideEffects
from infra.custom_domain import ShortDomainRecords, short_base_url
from infra.data import Buckets, Tables
from infra.edge_firewall import EdgeFirewall
from infra.functions import FunctionFactory
from infra.layers import SharedLayers
from infra.monitoring import Monitoring
from infra.nag import add_nag_checks
from infra.pipeline import EventPipeline
from infra.short_url import ShortBaseUrl


class ShortenerStack(Stack):
    def __init__(self, scope: Construct, config: StageConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            description=f"Shortener ({config.stage}): serverless URL shortener",
            termination_protection=config.retain_data,
        )
        self.config = config
        Tags.of(self).add("project", "shortener")
        Tags.of(self).add("stage", config.stage)

        self.tables = Tables(self, "Data", config=config)
        self.buckets = Buckets(self, "Storage", config=config)
        functions = FunctionFactory(config, SharedLayers(self, "Layers"))
        self.short_base_url = ShortBaseUrl(self, "ShortBaseUrlSetting", config=config)

        self.api = ShortenerApi(
            self,
            "Api",
            config=config,
            functions=functions,
            tables=self.tables,
            short_base_url=self.short_base_url,
        )
        self.clicks = ClickPipeline(
            self, "Clicks", config=config, functions=functions, tables=self.tables
        )
        self.firewall = (
            EdgeFirewall(self, "Firewall", config=config) if config.waf.enabled else None
        )
        self.cdn = Cdn(
            self,
            "Cdn",
            config=config,
            rest_api=self.api.rest_api,
            qr_images=self.buckets.qr,
            access_logs=self.buckets.access_logs,
            click_log=self.clicks.log_config,
            short_domain=config.custom_domain,
            web_acl_arn=self.firewall.arn if self.firewall else None,
        )
        distribution = self.cdn.distribution
        domain = config.custom_domain
        if domain is not None and domain.hosted_zone_id:
            ShortDomainRecords(self, "ShortDomain", domain=domain, distribution=distribution)
        base_url = short_base_url(config, f"https://{distribution.distribution_domain_name}")
        self.short_base_url.publish(base_url)
        own_origins = [
            f"https://{distribution.distribution_domain_name}",
            domain.base_url if domain else "",
            config.api_origin,
        ]
        self.short_base_url.publish_own_origins([origin for origin in own_origins if origin])

        self.pipeline = EventPipeline(
            self,
            "Events",
            config=config,
            functions=functions,
            tables=self.tables,
            short_base_url=self.short_base_url,
        )
        self.side_effects = SideEffects(
            self,
            "SideEffects",
            config=config,
            functions=functions,
            tables=self.tables,
            buckets=self.buckets,
            bus=self.pipeline.bus,
            distribution=distribution,
        )
        # Test events, resends and recoveries asked for through the API go to the delivery queue.
        self.side_effects.let_queue_deliveries(self.api.api_function)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            api=self.api,
            pipeline=self.pipeline,
            side_effects=self.side_effects,
            clicks=self.clicks,
            firewall=self.firewall,
        )

        outputs = {
            "ApiUrl": self.api.rest_api.url,
            # {plan name: usage plan id}: what `ops keys create --plan` puts a key on.
            "UsagePlans": self.to_json_string(
                {name: plan.usage_plan_id for name, plan in self.api.usage_plans.items()}
            ),
            "ShortBaseUrl": base_url,
            "DistributionId": distribution.distribution_id,
            "DistributionDomainName": distribution.distribution_domain_name,
            "LinksTableName": self.tables.links.table_name,
            "KeysTableName": self.tables.keys.table_name,
            "WebhooksTableName": self.tables.webhooks.table_name,
            "IdempotencyTableName": self.tables.idempotency.table_name,
            "ClicksTableName": self.tables.clicks.table_name,
            "ClicksStreamName": self.clicks.stream.stream_name,
            "EventBusName": self.pipeline.bus.event_bus_name,
            "EventArchiveName": self.pipeline.archive.archive_name,
            "QrBucketName": self.buckets.qr.bucket_name,
            "AlarmTopicArn": self.monitoring.topic.topic_arn,
            "DashboardName": self.monitoring.dashboard.dashboard_name,
            "EmailSender": self.side_effects.sender.sender,
        }
        # A domain identity is verified once these records are in its DNS (docs/runbook.md).
        for number, record in enumerate(self.side_effects.sender.dkim_records, start=1):
            outputs[f"EmailDkimRecord{number}"] = record
        if self.firewall is not None:
            outputs["WebAclArn"] = self.firewall.arn
        for output_id, value in outputs.items():
            CfnOutput(self, output_id, value=value)


def build_app(
    context: dict[str, Any] | None = None, *, outdir: str | None = None, nag: bool = True
) -> tuple[App, ShortenerStack]:
    """The app `cdk synth` builds: cdk.json's context (the CLI's own wins), one stack, cdk-nag.

    Tests pass `load_cdk_context(overrides)` and `nag=False` to collect findings themselves
    instead of failing at synthesis.
    """
    app = App(context=context if context is not None else load_cdk_context(), outdir=outdir)
    config = StageConfig.from_node(app.node)
    stack = ShortenerStack(app, config)
    # A stack synthesized for the local cloud is never deployed: it skips the compliance pass
    # (most of a synth's time), which every deployable dev/prod synth still runs.
    if nag and not config.local:
        add_nag_checks(app)
    return app, stack
