"""One synthesis per stage for the whole session: building the app is the slow part."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from stack_template import (
    DEV_EMAIL_SENDER,
    PROD_ALARM_EMAIL,
    PROD_EMAIL_SENDER,
    SHORT_DOMAIN,
    SHORT_DOMAIN_CERTIFICATE,
    SHORT_DOMAIN_ZONE,
    StackTemplate,
)

from infra.config import load_cdk_context
from infra.stack import build_app


def _synthesize(outdir: Path, **overrides: str) -> StackTemplate:
    # nag=False: the tests collect cdk-nag's findings themselves instead of failing synthesis.
    _, stack = build_app(load_cdk_context(overrides), outdir=str(outdir), nag=False)
    template = Template.from_stack(stack)
    return StackTemplate(stack, template, outdir / f"{stack.stack_name}.template.json")


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    """The stack as `make synth CONTEXT="email_sender=..."` builds it (dev stage)."""
    return _synthesize(tmp_path_factory.mktemp("cdk-dev"), email_sender=DEV_EMAIL_SENDER)


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    """`-c stage=prod -c alarm_email=... -c email_sender=... -c email_identity=domain`."""
    return _synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        stage="prod",
        alarm_email=PROD_ALARM_EMAIL,
        email_sender=PROD_EMAIL_SENDER,
        email_identity="domain",
    )


@pytest.fixture(scope="session")
def prod_short_domain(tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    """prod with its short domain: `domain_name`, `certificate_arn`, `hosted_zone_id`."""
    return _synthesize(
        tmp_path_factory.mktemp("cdk-prod-domain"),
        stage="prod",
        email_sender=PROD_EMAIL_SENDER,
        domain_name=SHORT_DOMAIN,
        certificate_arn=SHORT_DOMAIN_CERTIFICATE,
        hosted_zone_id=SHORT_DOMAIN_ZONE,
    )
