"""What a function of the template needs to run locally: handler, code, layers, environment,
timeout and memory, read from its resolved properties."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.names import ACCOUNT_ID, REGION, function_arn
from localcloud.provisioning import ProvisionedResource
from localcloud.template import StackTemplate

DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
INLINE_CODE_FILE = "index.py"
# Host variables a process needs to start at all; nothing else of this shell leaks in.
_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    handler: str
    code_dir: Path
    runtime: str
    layer_dirs: tuple[Path, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    reserved_concurrency: int | None = None
    role_arn: str = ""  # the execution role: its policies decide what the function may call

    @property
    def arn(self) -> str:
        return function_arn(self.name)


def function_specs(
    template: StackTemplate,
    provisioned: Mapping[str, ProvisionedResource],
    inline_code_root: Path,
) -> dict[str, FunctionSpec]:
    """One spec per function the local cloud runs (those provisioned as "emulated")."""
    layer_dirs = _layer_dirs_by_arn(template, provisioned)
    specs = {}
    for item in provisioned.values():
        if item.type != "AWS::Lambda::Function" or item.outcome.served_by != "emulated":
            continue
        props = item.properties
        code_dir = template.asset_dir(item.resource) or _write_inline_code(
            inline_code_root / item.logical_id, props["Code"]["ZipFile"]
        )
        variables = props.get("Environment", {}).get("Variables", {})
        reserved = props.get("ReservedConcurrentExecutions")
        specs[item.logical_id] = FunctionSpec(
            logical_id=item.logical_id,
            name=item.physical_id,
            handler=props["Handler"],
            code_dir=code_dir,
            runtime=props["Runtime"],
            layer_dirs=tuple(d for arn in props.get("Layers", []) for d in layer_dirs.get(arn, ())),
            environment={key: _env_text(value) for key, value in variables.items()},
            timeout_seconds=float(props.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
            memory_mb=int(props.get("MemorySize", DEFAULT_MEMORY_MB)),
            reserved_concurrency=int(reserved) if reserved is not None else None,
            role_arn=str(props.get("Role", "")),
        )
    return specs


def worker_environment(
    spec: FunctionSpec, aws_endpoint: str, credentials: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The function's resolved environment plus what Lambda sets, pointed at the local AWS.

    `credentials`: the execution role session's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_SESSION_TOKEN, as Lambda sets them; without, the test credentials (not checked)."""
    host = {name: os.environ[name] for name in _HOST_VARIABLES if name in os.environ}
    return {
        **host,
        **spec.environment,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        **(credentials or {}),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{ACCOUNT_ID}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "_HANDLER": spec.handler,
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "TZ": ":UTC",
        # There is no X-Ray daemon to send traces to.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONUNBUFFERED": "1",
    }


def _layer_dirs_by_arn(
    template: StackTemplate, provisioned: Mapping[str, ProvisionedResource]
) -> dict[str, tuple[Path, ...]]:
    """Where each layer's Python code is: `python/` and its `lib/python3.x/site-packages`, as
    Lambda mounts them under /opt."""
    layers = {}
    for item in provisioned.values():
        if item.type != "AWS::Lambda::LayerVersion":
            continue
        root = template.asset_dir(item.resource)
        if root is None:
            continue
        python_dir = root / "python"
        dirs = [python_dir] if python_dir.is_dir() else [root]
        dirs += sorted(python_dir.glob("lib/python3*/site-packages"))
        layers[item.physical_id] = tuple(dirs)
    return layers


def _write_inline_code(directory: Path, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / INLINE_CODE_FILE).write_text(source)
    return directory


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
