"""The local cloud: runs a synthesized CDK stack on an embedded moto, no Docker needed.

See localcloud/README.md for how it works.
"""

from localcloud.cloud import LocalCloud
from localcloud.lambda_.workers import Invocation, InvocationReport
from localcloud.synth import SynthError, synthesize

__all__ = ["Invocation", "InvocationReport", "LocalCloud", "SynthError", "synthesize"]
