"""One way to make a Shortener function: its folder, both layers, its own role and log group.

Sizing lives in `SIZES` so that the benchmark's "peak memory / MemorySize" has one source.
A Python process with boto3, Powertools and pydantic peaks at about 100-150 MB; every function
gets at least 256 MB so that the peak stays under 0.7 x MemorySize (Lambda also gives CPU in
proportion to memory, which shortens cold starts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import REPO_ROOT, StageConfig
from infra.layers import ARCHITECTURE, ASSET_EXCLUDES, RUNTIME, SharedLayers
from infra.logical_ids import logical_id_of, pin_logical_id
from infra.nag import acknowledge

FUNCTIONS_DIR = REPO_ROOT / "functions"
HANDLER = "handler.handler"
LOG_LEVEL = "INFO"
# An update's answer may hold the attributes it changed, never the item's others.
UPDATED_VALUES_ONLY = ["NONE", "UPDATED_OLD", "UPDATED_NEW"]


@dataclass(frozen=True)
class FunctionSize:
    memory_mb: int
    timeout: Duration


# Request path: short timeouts, an answer is worthless after API Gateway's 29 s anyway; the
# authorizer and the redirect are on every request. Consumers get room for a slow peer.
SIZES: Mapping[str, FunctionSize] = {
    "authorizer": FunctionSize(256, Duration.seconds(5)),
    "redirect": FunctionSize(256, Duration.seconds(5)),
    "api": FunctionSize(512, Duration.seconds(10)),
    "enrich": FunctionSize(256, Duration.seconds(10)),
    "qr": FunctionSize(256, Duration.seconds(30)),
    "stats": FunctionSize(256, Duration.seconds(30)),
    "email": FunctionSize(256, Duration.seconds(30)),
    "webhook_dispatch": FunctionSize(256, Duration.seconds(30)),
    "webhook_deliver": FunctionSize(256, Duration.seconds(30)),
    "webhook_notice": FunctionSize(256, Duration.seconds(30)),
    "cdn": FunctionSize(256, Duration.seconds(30)),
    # A batch of up to 100 log records, aggregated in memory, then a few counter writes.
    "clicks": FunctionSize(256, Duration.seconds(60)),
}


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class ShortenerFunction(Construct):
    """A function of functions/<name> with a role that starts empty: callers grant what it uses."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        config: StageConfig,
        layers: SharedLayers,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        size = SIZES[name]
        self.name = name
        self.timeout = size.timeout
        # An explicit log group: retention without CDK's log-retention custom resource.
        self.log_group = config.log_group(self, "Logs")
        # Our own role instead of AWSLambdaBasicExecutionRole: it may write its log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Shortener {name} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=ASSET_EXCLUDES),
            handler=HANDLER,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            layers=layers.all,
            memory_size=size.memory_mb,
            timeout=size.timeout,
            environment={
                "POWERTOOLS_SERVICE_NAME": "shortener",
                "POWERTOOLS_METRICS_NAMESPACE": "Shortener",
                "LOG_LEVEL": LOG_LEVEL,
                "STAGE": config.stage,
                **environment,
            },
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            description=f"Shortener {name} ({config.stage})",
        )
        pin_logical_id(self.function, f"{_pascal(name)}Function")
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"{RUNTIME.name} on purpose: `make layer` builds the Dependencies layer's compiled "
            "wheels (pydantic-core) for this exact version, and the code is tested on it; "
            "moving to a newer runtime means rebuilding the layer with it.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, "
            "which support no resource-level permissions.",
        )

    def grant_read_data(self, table: dynamodb.Table) -> None:
        table.grant_read_data(self.function)
        self._acknowledge_index_access(table)

    def grant_read_write_data(self, table: dynamodb.Table) -> None:
        table.grant_read_write_data(self.function)
        self._acknowledge_index_access(table)

    def grant_get_item(self, table: dynamodb.Table) -> None:
        """Point reads by primary key only: the request path's tightest grant."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[table.table_arn])
        )

    def grant_update_item(self, table: dynamodb.Table, *, attributes: Sequence[str]) -> None:
        """Updates of single items by primary key that name only these attributes (besides the
        key's) and return none of the others: no reads, puts, deletes or indexes.
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
        """
        schema = table.schema()
        key = [part.name for part in (schema.partition_key, schema.sort_key) if part is not None]
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": [*key, *attributes]},
                    "StringEqualsIfExists": {"dynamodb:ReturnValues": UPDATED_VALUES_ONLY},
                },
            )
        )

    def _acknowledge_index_access(self, table: dynamodb.Table) -> None:
        # CDK's table grants add `<table>/index/*`: the table's own GSIs, nothing wider.
        resource = table.node.default_child
        indexes = Stack.of(table).resolve(getattr(resource, "global_secondary_indexes", None))
        if not indexes:
            return
        names = ", ".join(index["indexName"] for index in indexes)
        acknowledge(
            self,
            f"AwsSolutions-IAM5[Resource::<{logical_id_of(table)}.Arn>/index/*]",
            f"Covers only this table's own secondary indexes ({names}), which the "
            f"{self.name} function queries; CDK's table grants scope indexes this way.",
        )


class FunctionFactory:
    """Makes every function the same way, from the stage config and the shared layers."""

    def __init__(self, config: StageConfig, layers: SharedLayers) -> None:
        self._config = config
        self._layers = layers

    def create(
        self, scope: Construct, name: str, environment: Mapping[str, str]
    ) -> ShortenerFunction:
        return ShortenerFunction(
            scope,
            _pascal(name),
            name=name,
            config=self._config,
            layers=self._layers,
            environment=environment,
        )
