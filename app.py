#!/usr/bin/env python3
"""CDK entry point: the Shortener-{stage} stack, checked by cdk-nag's AWS Solutions rules.

`npx cdk synth -c stage=prod -c email_sender=...`, `-c local=true -c short_base_url=...`: see
docs/architecture.md. A context value the stack cannot be built with ends the synthesis with one
line naming the key to set, not a traceback.
"""

import sys

from infra.config import ContextError
from infra.stack import build_app

try:
    app, _ = build_app()
except ContextError as error:
    sys.exit(f"cannot synthesize: {error}")
app.synth()
