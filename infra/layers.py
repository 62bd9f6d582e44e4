"""The two layers every function carries: our shared code and its run-time dependencies."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import REPO_ROOT

# Functions and layers target one runtime; `make layer` builds the dependencies for it.
RUNTIME = lambda_.Runtime.PYTHON_3_13
# x86_64 because `make layer` installs manylinux x86_64 wheels (pydantic-core is compiled).
ARCHITECTURE = lambda_.Architecture.X86_64
SHARED_CODE_DIR = REPO_ROOT / "layers" / "common"
DEPENDENCIES_DIR = REPO_ROOT / "build" / "layer-deps"
# Bytecode of whoever ran the code last is not part of an asset (and would change its hash).
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", ".installed"]


class SharedLayers(Construct):
    """`SharedCode` (layers/common: the `shortener` package) and `Dependencies` (requirements)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        if not (DEPENDENCIES_DIR / "python").is_dir():
            raise FileNotFoundError(
                f"{DEPENDENCIES_DIR / 'python'} is missing: run `make layer` to build the "
                "Dependencies layer (requirements.txt for the Lambda runtime) before synthesizing"
            )
        self.shared_code = self._layer(
            "SharedCode", str(SHARED_CODE_DIR), "shortener package: code shared by every function"
        )
        self.dependencies = self._layer(
            "Dependencies", str(DEPENDENCIES_DIR), "requirements.txt built for the Lambda runtime"
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.shared_code, self.dependencies]

    def _layer(self, construct_id: str, path: str, description: str) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(path, exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=description,
        )
