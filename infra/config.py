"""Stage settings read from CDK context (cdk.json, overridable with `-c key=value`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import MessageError
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct, Node

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
STAGES = ("dev", "prod")
# Per-stage settings (cdk.json's `stages.<stage>`); each may also be given at the top level
# (`-c key=value`, `make synth CONTEXT="key=value"`), which wins for that synthesis.
STAGE_SETTINGS = (
    "redirect_cache_ttl_seconds",
    "throttle_rate_limit",
    "throttle_burst_limit",
    "redirect_throttle_rate_limit",
    "redirect_throttle_burst_limit",
    "retain_data",
    "log_retention_days",
    "email_sender",
    "email_identity",
    # The short domain (CustomDomain) and the distribution's web ACL (WafSettings).
    "domain_name",
    "certificate_arn",
    "hosted_zone_id",
    "waf",
    "waf_redirect_rate_limit",
    "waf_api_rate_limit",
    "waf_evaluation_window_seconds",
)

# CloudWatch Logs accepts only these retention periods.
_RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def load_cdk_context(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """cdk.json's context with `overrides` on top: what the CDK CLI hands an app.

    `App()` built from Python (tests, tools) does not read cdk.json itself; passing this as its
    context builds the same app the CLI builds. Under the CLI its own context wins anyway.
    """
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return {**context, **(overrides or {})}


def _as_bool(value: Any) -> bool:
    # `-c local=true` arrives as a string, cdk.json's `false` as a JSON boolean.
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


class ContextError(ValueError):
    """A context value the stack cannot be built with; the message names the key to set."""


def _as_delays(value: Any) -> tuple[int, ...]:
    delays = json.loads(value) if isinstance(value, str) else value
    return tuple(int(delay) for delay in delays)


def _as_disable_rule(value: Any) -> dict[str, int]:
    """{"failing_for_seconds", "failures"}: both must hold before an endpoint is disabled."""
    rule = json.loads(value) if isinstance(value, str) else dict(value or {})
    return {
        "failing_for_seconds": int(rule.get("failing_for_seconds", 0)),
        "failures": int(rule.get("failures", 20)),
    }


# CloudFront reads a viewer certificate from ACM in this region only, and a web ACL for a
# distribution (scope CLOUDFRONT) is created there too.
CLOUDFRONT_CONTROL_REGION = "us-east-1"
_CERTIFICATE_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+"
)
_DOMAIN_NAME = re.compile(
    r"(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{2,63}(?<!-)"
)
_HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
CUSTOM_DOMAIN_SETTINGS = ("domain_name", "certificate_arn", "hosted_zone_id")


@dataclass(frozen=True)
class CustomDomain:
    """The short domain the distribution answers on: its name, the ACM certificate covering
    it, and the Route 53 zone to publish its alias records in (none: DNS is managed elsewhere)."""

    name: str
    certificate_arn: str
    hosted_zone_id: str = ""

    @classmethod
    def of_settings(cls, settings: Mapping[str, Any]) -> CustomDomain | None:
        """From `domain_name`, `certificate_arn`, `hosted_zone_id`; None when none is given."""
        name, certificate, zone = (
            str(settings.get(key) or "").strip() for key in CUSTOM_DOMAIN_SETTINGS
        )
        if not (name or certificate or zone):
            return None
        if not name:
            given = " and ".join(k for k, v in (("certificate_arn", certificate),
                                                 ("hosted_zone_id", zone)) if v)  # fmt: skip
            raise ContextError(
                f"{given} given without domain_name: set domain_name=<the short domain> too "
                "(docs/runbook.md, Custom domain)"
            )
        if not certificate:
            raise ContextError(
                f"domain_name {name} needs certificate_arn: an ACM certificate for it in "
                f"{CLOUDFRONT_CONTROL_REGION}, where CloudFront reads certificates "
                "(docs/runbook.md, Custom domain)"
            )
        return cls(name=name.lower().rstrip("."), certificate_arn=certificate, hosted_zone_id=zone)

    def __post_init__(self) -> None:
        if not _DOMAIN_NAME.fullmatch(self.name):
            raise ContextError(
                f"domain_name {self.name!r} is not a host name (go.example.org: no scheme, "
                "no path, no port)"
            )
        arn = _CERTIFICATE_ARN.fullmatch(self.certificate_arn)
        if arn is None:
            raise ContextError(
                f"certificate_arn {self.certificate_arn!r} is not an ACM certificate ARN "
                "(arn:aws:acm:us-east-1:<account>:certificate/<id>)"
            )
        if arn.group("region") != CLOUDFRONT_CONTROL_REGION:
            raise ContextError(
                f"certificate_arn is in {arn.group('region')}: CloudFront only uses ACM "
                f"certificates in {CLOUDFRONT_CONTROL_REGION}; request or import the "
                f"certificate for {self.name} there"
            )
        if self.hosted_zone_id and not _HOSTED_ZONE_ID.fullmatch(self.hosted_zone_id):
            raise ContextError(
                f"hosted_zone_id {self.hosted_zone_id!r} is not a Route 53 zone id (Z...)"
            )

    @property
    def base_url(self) -> str:
        return f"https://{self.name}"


# AWS WAF's rate-based rules: the windows it offers and the lowest limit it accepts.
WAF_EVALUATION_WINDOWS = (60, 120, 300, 600)
WAF_MIN_RATE_LIMIT = 10
WAF_MAX_RATE_LIMIT = 2_000_000_000


@dataclass(frozen=True)
class WafSettings:
    """The distribution's web ACL: on or off, and its per-client-address rate limits (requests
    per evaluation window), one for the public reads and one for the API."""

    enabled: bool = False
    redirect_rate_limit: int = 3000
    api_rate_limit: int = 36000
    evaluation_window_seconds: int = 300

    @classmethod
    def of_settings(cls, settings: Mapping[str, Any]) -> WafSettings:
        defaults = cls()

        def number(key: str, default: int) -> int:
            value = settings.get(key)
            try:
                return default if value in (None, "") else int(value)
            except (TypeError, ValueError):
                raise ContextError(f"{key} must be a whole number, not {value!r}") from None

        return cls(
            enabled=_as_bool(settings.get("waf") or False),
            redirect_rate_limit=number("waf_redirect_rate_limit", defaults.redirect_rate_limit),
            api_rate_limit=number("waf_api_rate_limit", defaults.api_rate_limit),
            evaluation_window_seconds=number(
                "waf_evaluation_window_seconds", defaults.evaluation_window_seconds
            ),
        )

    def __post_init__(self) -> None:
        for key, limit in (
            ("waf_redirect_rate_limit", self.redirect_rate_limit),
            ("waf_api_rate_limit", self.api_rate_limit),
        ):
            if not WAF_MIN_RATE_LIMIT <= limit <= WAF_MAX_RATE_LIMIT:
                raise ContextError(
                    f"{key} {limit}: AWS WAF takes {WAF_MIN_RATE_LIMIT} to "
                    f"{WAF_MAX_RATE_LIMIT:,} requests per evaluation window"
                )
        if self.evaluation_window_seconds not in WAF_EVALUATION_WINDOWS:
            raise ContextError(
                f"waf_evaluation_window_seconds {self.evaluation_window_seconds}: AWS WAF "
                f"offers {WAF_EVALUATION_WINDOWS}"
            )


# A local stack's sender: `.localhost` is reserved (RFC 6761), so no real mail can ever leave.
LOCAL_EMAIL_SENDER = "no-reply@shortener.localhost"
# What the stack declares for its sender (`email_identity`): the address (SES mails it a
# verification link), its domain (Easy DKIM: the stack outputs the CNAME records to publish), or
# nothing (`external`: verified outside the stack, e.g. shared by several stages).
EMAIL_IDENTITY_KINDS = ("address", "domain", "external")


@dataclass(frozen=True)
class EmailSettings:
    """Who the confirmation email is from, and which SES identity this stage owns for it."""

    sender: str
    identity: str

    @classmethod
    def of_stage(cls, stage: str, local: bool, settings: Mapping[str, Any]) -> EmailSettings:
        """From the stage's settings; a local stack falls back to a local sender."""
        sender = str(settings.get("email_sender") or (LOCAL_EMAIL_SENDER if local else ""))
        if not sender:
            raise ContextError(
                f"stage {stage} needs an email sender SES can verify: set the context key "
                f"email_sender (make synth STAGE={stage} "
                'CONTEXT="email_sender=no-reply@your.domain", '
                f"or stages.{stage}.email_sender in cdk.json); see docs/runbook.md"
            )
        return cls(sender=sender, identity=str(settings.get("email_identity") or "address"))

    def __post_init__(self) -> None:
        try:
            Address(addr_spec=self.sender)
        except (ValueError, IndexError, MessageError) as error:
            raise ContextError(
                f"email_sender {self.sender!r} is not a plain address "
                f"(one without a display name): {error}"
            ) from None
        if self.identity not in EMAIL_IDENTITY_KINDS:
            raise ContextError(
                f"email_identity must be one of {EMAIL_IDENTITY_KINDS}, not {self.identity!r}"
            )

    def alone_among(self, stage: str, stages: Mapping[str, Mapping[str, Any]]) -> EmailSettings:
        """These settings, unless another stage of cdk.json declares the same identity: both
        stacks would create it in one account, and the second deploy would fail."""
        for other, settings in stages.items():
            if other == stage or not settings.get("email_sender") or self.owned_identity is None:
                continue
            theirs = EmailSettings.of_stage(other, False, settings)
            if theirs.owned_identity == self.owned_identity:
                raise ContextError(
                    f"stages {stage} and {other} would both declare the SES identity "
                    f"{self.owned_identity}: set email_identity=external for the stages that "
                    "share it and verify it outside the stacks (docs/runbook.md)"
                )
        return self

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2].lower()

    @property
    def owned_identity(self) -> str | None:
        """The identity this stage's stack declares, or None when it is verified elsewhere."""
        return {"address": self.sender, "domain": self.domain}.get(self.identity)


_PLAN_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class Plan:
    """A usage plan (cdk.json `plans`): requests per second, burst, and requests per UTC day,
    per API key, enforced by API Gateway (docs/api.md, Plans and rate limits)."""

    name: str
    rate: float
    burst: int
    quota_per_day: int

    def __post_init__(self) -> None:
        if not _PLAN_NAME.match(self.name):
            raise ContextError(
                f"plan name {self.name!r}: 1 to 32 of a-z 0-9 -, starting with a letter"
            )
        if self.rate <= 0 or self.burst < 1 or self.quota_per_day < 1:
            raise ContextError(
                f"plan {self.name}: rate must be above 0, burst and quota_per_day at least 1"
            )

    @property
    def logical_id(self) -> str:
        """`free` -> `FreeUsagePlan`: pinned, so a plan keeps its usage plan across deploys."""
        return "".join(part.capitalize() for part in self.name.split("-")) + "UsagePlan"


def _as_plans(value: Any) -> tuple[Plan, ...]:
    plans = json.loads(value) if isinstance(value, str) else value
    if not isinstance(plans, Mapping) or not plans:
        raise ContextError("context plans must name at least one plan: {name: {rate, ...}}")
    try:
        return tuple(
            Plan(
                name=str(name),
                rate=float(limits["rate"]),
                burst=int(limits["burst"]),
                quota_per_day=int(limits["quota_per_day"]),
            )
            for name, limits in plans.items()
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ContextError(
            f"context plans: each plan needs rate, burst and quota_per_day ({error})"
        ) from None


@dataclass(frozen=True)
class StageConfig:
    stage: str
    local: bool
    short_base_url: str
    alarm_email: str
    email: EmailSettings
    redirect_cache_ttl_seconds: int
    throttle_rate_limit: float
    throttle_burst_limit: int
    retain_data: bool
    # The public redirect's own method throttle, apart from the management API's.
    redirect_throttle_rate_limit: float
    redirect_throttle_burst_limit: int
    plans: tuple[Plan, ...]
    log_retention_days: int
    webhook_retry_delays_seconds: tuple[int, ...]
    # Where the API answers when that is not its execute-api domain (the local cloud's port):
    # one of the names no link may point at.
    api_origin: str = ""
    # The short domain on the distribution (None: its *.cloudfront.net name) and its web ACL.
    custom_domain: CustomDomain | None = None
    waf: WafSettings = WafSettings()
    # Click analytics: how long counters live, and how the clicks consumer reads the stream.
    click_retention_days: int = 400
    click_batch_size: int = 100
    click_batching_window_seconds: int = 1
    # An endpoint is disabled when its failed deliveries in a row have lasted this long and
    # number this many (cdk.json `webhook_disable_after`, `local_webhook_disable_after`).
    webhook_disable_after: Mapping[str, int] | None = None

    @classmethod
    def from_node(cls, node: Node) -> StageConfig:
        """The settings of the stage the context selects (`stage`, default dev)."""

        def context(key: str, default: Any = None) -> Any:
            value = node.try_get_context(key)
            return default if value in (None, "") else value

        stage = str(context("stage", "dev"))
        if stage not in STAGES:
            raise ContextError(f"context stage must be one of {STAGES}, not {stage!r}")
        stages = context("stages", {})
        if isinstance(stages, str):
            stages = json.loads(stages)
        local = _as_bool(context("local", False))
        settings = {key: context(key, stages[stage].get(key)) for key in STAGE_SETTINGS}
        if local:  # a local stack never sends as the deployed stage does: only `-c` reaches it
            settings.update(
                email_sender=context("email_sender"), email_identity=context("email_identity")
            )
            # Nor does it carry the deployed stage's domain or web ACL unless asked to.
            settings.update({key: context(key) for key in (*CUSTOM_DOMAIN_SETTINGS, "waf")})
        delays_key = (
            "local_webhook_retry_delays_seconds" if local else "webhook_retry_delays_seconds"
        )
        email = EmailSettings.of_stage(stage, local, settings)  # a local stack is never deployed
        return cls(
            stage=stage,
            local=local,
            short_base_url=str(context("short_base_url", "")).rstrip("/"),
            alarm_email=str(context("alarm_email", "")),
            email=email if local else email.alone_among(stage, stages),
            redirect_cache_ttl_seconds=int(settings["redirect_cache_ttl_seconds"]),
            throttle_rate_limit=float(settings["throttle_rate_limit"]),
            throttle_burst_limit=int(settings["throttle_burst_limit"]),
            retain_data=_as_bool(settings["retain_data"]),
            redirect_throttle_rate_limit=float(settings["redirect_throttle_rate_limit"]),
            redirect_throttle_burst_limit=int(settings["redirect_throttle_burst_limit"]),
            plans=_as_plans(context("plans")),
            log_retention_days=int(settings["log_retention_days"]),
            webhook_retry_delays_seconds=_as_delays(context(delays_key)),
            webhook_disable_after=_as_disable_rule(
                context("local_webhook_disable_after" if local else "webhook_disable_after")
            ),
            api_origin=str(context("api_origin", "")).rstrip("/"),
            custom_domain=CustomDomain.of_settings(settings),
            waf=WafSettings.of_settings(settings),
            click_retention_days=int(context("click_retention_days", 400)),
            click_batch_size=int(context("click_batch_size", 100)),
            click_batching_window_seconds=int(context("click_batching_window_seconds", 1)),
        )

    def __post_init__(self) -> None:
        if self.log_retention_days not in _RETENTION_BY_DAYS:
            raise ValueError(
                f"log_retention_days {self.log_retention_days} is not one CloudWatch accepts: "
                f"{sorted(_RETENTION_BY_DAYS)}"
            )

    @property
    def stack_name(self) -> str:
        return f"Shortener-{self.stage}"

    @property
    def resource_prefix(self) -> str:
        """Prefix of the physical names we choose (bus, rules, alarms): one set per stage."""
        return f"shortener-{self.stage}"

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Data stores (tables, buckets, logs): kept in prod, removed with a dev stack."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION_BY_DAYS[self.log_retention_days]

    def log_group(self, scope: Construct, construct_id: str) -> logs.LogGroup:
        """A log group with the stage's retention, kept or removed like the stage's data."""
        return logs.LogGroup(
            scope, construct_id, retention=self.log_retention, removal_policy=self.removal_policy
        )

    @property
    def allow_loopback_webhooks(self) -> str:
        """ALLOW_LOOPBACK_WEBHOOKS: only a stack made for the local cloud may call 127.0.0.1."""
        return "true" if self.local else "false"

    @property
    def short_base_url_parameter_name(self) -> str:
        """Fixed, not generated: functions get the name before the distribution exists."""
        return f"/shortener/{self.stage}/short-base-url"

    @property
    def own_origins_parameter_name(self) -> str:
        """The stack's other names (OWN_ORIGINS_PARAMETER), fixed for the same reason."""
        return f"/shortener/{self.stage}/own-origins"
