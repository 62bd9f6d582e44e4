#!/usr/bin/env python3
"""CDK entry point: the Shortener-{stage} stack, checked by cdk-nag's AWS Solutions rules.

`npx cdk synth -c stage=prod`, `-c local=true -c short_base_url=...`: see docs/architecture.md.
"""

from infra.stack import build_app

app, _ = build_app()
app.synth()
