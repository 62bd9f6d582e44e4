"""The local cloud: the synthesized stack on an embedded moto, with its functions, API, pipes
and queue triggers emulated. `LocalCloud` is what `python -m localcloud`, the integration tests
and the benchmarks start."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from localcloud.apigateway import ApiGateway, ApiServer, rest_api_models
from localcloud.apigateway.usage_plans import report_lines as gateway_report_lines
from localcloud.aws import AwsClients, MotoServer, warm_up
from localcloud.cfn_stack import StackOutput, StackResourceRecord, new_stack_id, register_stack
from localcloud.cloudfront import ServedDistribution, distributions
from localcloud.cloudfront.realtime_logs import RealtimeLogs
from localcloud.cloudfront.waf import web_acl_of
from localcloud.iam import Authorization, RoleSession, role_policies
from localcloud.iam.report import RESOURCE_POLICY_TYPES, iam_lines
from localcloud.intrinsics import IntrinsicError, Resolver
from localcloud.lambda_.functions import function_specs, worker_environment
from localcloud.lambda_.kinesis_event_sources import (
    KinesisPoller,
    is_kinesis_mapping,
    kinesis_mapping_config,
)
from localcloud.lambda_.sqs_event_sources import SqsPoller, sqs_mapping_config
from localcloud.lambda_.workers import (
    DEFAULT_MAX_WORKERS,
    FunctionPool,
    Invocation,
    InvocationReport,
)
from localcloud.logs import LogSink
from localcloud.pipes.pipe import PipeRunner, pipe_config
from localcloud.provisioning import ProvisionedResource, provision_stack
from localcloud.provisioning.base import Provisioned, ServedBy
from localcloud.report import endpoint_lines, resource_lines
from localcloud.ses import emulate_ses
from localcloud.ses import report_lines as ses_report_lines
from localcloud.template import StackTemplate, load_stack

SELF = "localcloud"
JANITOR_INTERVAL_SECONDS = 5.0


class LocalCloud:
    """Start with `start()` (or `with LocalCloud(...) as cloud:`), stop with `stop()`.

    Ports 0 pick free ones; `api_url` and `aws_endpoint` say which.
    """

    def __init__(
        self,
        cdk_out_dir: Path | str,
        stack_name: str | None = None,
        aws_port: int = 0,
        api_port: int = 0,
        *,
        cdn_port: int = 0,
        log_stream: TextIO | None = None,
        echo_logs: bool = True,
        prewarm: bool = True,
        max_workers_per_function: int = DEFAULT_MAX_WORKERS,
        iam: bool = True,
        ses_sandbox: bool = False,
    ) -> None:
        # Workers run from other folders: asset paths must not depend on this one's.
        self.cdk_out_dir = Path(cdk_out_dir).resolve()
        self._requested_stack = stack_name
        self._api_port = api_port
        self._cdn_port = cdn_port
        self._prewarm = prewarm
        self._max_workers = max_workers_per_function
        self._iam = iam  # check each call of a function or pipe against its role
        # Off by default: the stack runs as a deployed stage with production access does, so
        # mail reaches whoever a key names; on, it rehearses a new account's SES sandbox.
        self._ses_sandbox = ses_sandbox
        self._stopping = threading.Event()
        self._janitor: threading.Thread | None = None
        self.logs = LogSink(log_stream, echo=echo_logs)
        self._moto = MotoServer(aws_port)
        self.template: StackTemplate | None = None
        self.provisioned: dict[str, ProvisionedResource] = {}
        self.outputs: dict[str, str] = {}
        self.pools: dict[str, FunctionPool] = {}
        self.gateways: list[ApiGateway] = []
        self._servers: list[ApiServer] = []
        self.cdn: ServedDistribution | None = None
        self._pipes: list[PipeRunner] = []
        self._pollers: list[SqsPoller] = []
        self._stream_pollers: list[KinesisPoller] = []
        self.realtime_logs: RealtimeLogs | None = None
        self._warming: threading.Thread | None = None
        self._aws_warming: threading.Thread | None = None
        self._scratch: Path | None = None
        self.aws: AwsClients | None = None
        self.report_lines: list[str] = []
        self.timings: dict[str, float] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def start_aws(self, *, warm_up_services: bool = True) -> str:
        """Start the AWS endpoint alone, and load moto's services in the background, e.g.
        while the app synthesizes; `start()` does the rest. Returns the endpoint."""
        if self.aws is None:
            emulate_ses(sandbox=self._ses_sandbox)
            self.aws = AwsClients(self._moto.start())
            if warm_up_services:
                self._aws_warming = threading.Thread(
                    target=warm_up, args=(self.aws,), name="aws-warm-up", daemon=True
                )
                self._aws_warming.start()
        return self.aws.endpoint

    def start(self) -> LocalCloud:
        started = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.timings["start_seconds"] = time.perf_counter() - started
        return self

    def stop(self) -> None:
        """Stop taking work, end every worker process, then the AWS endpoint."""
        self._stopping.set()
        if self._janitor is not None:
            self._janitor.join()
            self._janitor = None
        for poller in self._pollers:
            poller.signal_stop()
        for stream_poller in self._stream_pollers:
            stream_poller.signal_stop()
        for pipe in self._pipes:
            pipe.signal_stop()
        if self.cdn is not None:
            self.cdn.stop()
            self.cdn = None
        if self.realtime_logs is not None:
            self.realtime_logs.stop()
            self.realtime_logs = None
        for server in self._servers:
            server.stop()
        self._servers.clear()
        with ThreadPoolExecutor(max(len(self.pools), 1)) as stopping:
            list(stopping.map(lambda pool: pool.stop(), self.pools.values()))
        for pipe in self._pipes:
            pipe.stop()
        for poller in self._pollers:
            poller.stop()
        for stream_poller in self._stream_pollers:
            stream_poller.stop()
        self._pipes.clear()
        self._pollers.clear()
        self._stream_pollers.clear()
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._aws_warming is not None:
            self._aws_warming.join()
            self._aws_warming = None
        self._moto.stop()
        self.aws = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests and tools read ---------------------------------------------------------

    @property
    def stack_name(self) -> str:
        assert self.template is not None, "start() first"
        return self.template.stack_name

    @property
    def aws_endpoint(self) -> str:
        return self._moto.endpoint

    @property
    def api_url(self) -> str:
        """The first REST API's base URL (served at the root and under /{stage})."""
        return self._servers[0].url if self._servers else ""

    @property
    def cdn_url(self) -> str:
        """The first CloudFront distribution's address (empty when the template has none)."""
        return self.cdn.url if self.cdn is not None else ""

    @property
    def stream_pollers(self) -> list[KinesisPoller]:
        """The Kinesis event source mappings being run (pausable, as a disabled mapping)."""
        return list(self._stream_pollers)

    def physical_id(self, logical_id: str) -> str:
        return self.provisioned[logical_id].physical_id

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function of the template synchronously, as `lambda invoke` would."""
        return self.pools[logical_id].invoke(event)

    def invocation_reports(self, logical_id: str | None = None) -> list[InvocationReport]:
        pools = [self.pools[logical_id]] if logical_id else list(self.pools.values())
        reports = [report for pool in pools for report in pool.reports]
        return sorted(reports, key=lambda report: report.started_at)

    def log_lines(self, source: str) -> list[str]:
        return self.logs.lines(source)

    def process_ids(self) -> dict[str, list[int]]:
        """Every process of the local cloud: this one, and each function's workers."""
        ids = {SELF: [os.getpid()]}
        ids.update({logical_id: pool.pids() for logical_id, pool in self.pools.items()})
        return ids

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Wait until every function has a warm worker (when started with prewarm)."""
        if self._warming is not None:
            self._warming.join(timeout)
            return not self._warming.is_alive()
        return True

    def clear_authorizer_caches(self) -> None:
        for gateway in self.gateways:
            gateway.clear_authorizer_cache()

    # --- start-up --------------------------------------------------------------------------

    def _start(self) -> None:
        clock = time.perf_counter()
        self.template = load_stack(self.cdk_out_dir, self._requested_stack)
        # Without time to hide it in, loading every service up front would only delay:
        # provisioning then loads just the ones the template uses.
        endpoint = self.start_aws(warm_up_services=False)
        if self._aws_warming is not None:
            self._aws_warming.join()
        self.timings["aws_ready_seconds"] = time.perf_counter() - clock
        self._provision(self.template)
        self._moto.iam.load(
            role_policies(self.provisioned),
            enabled=self._iam,
            log=lambda message: self.logs.emit("iam", message),
        )
        self.timings["provision_seconds"] = time.perf_counter() - clock

        self._scratch = Path(tempfile.mkdtemp(prefix="localcloud-"))
        specs = function_specs(self.template, self.provisioned, self._scratch / "inline")
        self.pools = {
            logical_id: FunctionPool(
                spec,
                worker_environment(spec, endpoint, self._session(spec.role_arn, spec.name)),
                self.logs,
                self._max_workers,
            )
            for logical_id, spec in specs.items()
        }
        by_arn = {spec.arn: logical_id for logical_id, spec in specs.items()}
        by_name = {spec.name: logical_id for logical_id, spec in specs.items()}
        self._serve_api(by_arn)
        self._serve_cdn()
        self._run_pipes(by_arn)
        self._run_queue_triggers(by_name)

        if self._prewarm:
            self._warming = threading.Thread(target=self._warm_all, name="prewarm", daemon=True)
            self._warming.start()
        self._janitor = threading.Thread(target=self._retire_idle_workers, daemon=True)
        self._janitor.start()
        self.report_lines = self._report()

    def _provision(self, template: StackTemplate) -> None:
        """Create the resources, then show them through CloudFormation as a deployed stack."""
        assert self.aws is not None
        stack_id = new_stack_id(template.stack_name)
        resolver = Resolver(
            stack_name=template.stack_name,
            stack_id=stack_id,
            parameters={name: p.get("Default") for name, p in template.parameters.items()},
            conditions=template.conditions,
            mappings=template.mappings,
        )
        self.provisioned = provision_stack(template, resolver, self.aws)
        self.outputs = self._outputs(resolver)
        register_stack(
            stack_id=stack_id,
            stack_name=template.stack_name,
            template_body=template.body,
            resources=[
                StackResourceRecord(item.logical_id, item.physical_id, item.type)
                for item in self.provisioned.values()
                if item.physical_id
            ],
            outputs=[
                StackOutput(
                    key,
                    value,
                    template.outputs[key].get("Description"),
                    self._export_name(resolver, key),
                )
                for key, value in self.outputs.items()
            ],
        )

    def _serve_api(self, functions_by_arn: dict[str, str]) -> None:
        for api in rest_api_models(self.provisioned, functions_by_arn):
            if self._servers:
                self._restate(api.logical_id, "only the first REST API is served", "skipped")
                continue
            gateway = ApiGateway(api, self.invoke, self.logs)
            server = ApiServer(gateway, self.logs, self._api_port)
            server.start()
            if api.stage_name:
                self._moto.authorizer_caches.serve(
                    api.api_id, api.stage_name, gateway.clear_authorizer_cache
                )
            self.gateways.append(gateway)
            self._servers.append(server)

    def _serve_cdn(self) -> None:
        assert self.aws is not None
        api_urls = {
            self.physical_id(gateway.api.logical_id): server.url
            for gateway, server in zip(self.gateways, self._servers, strict=True)
        }
        for distribution in distributions(self.provisioned):
            if self.cdn is not None:
                self._restate(distribution.logical_id, "only the first distribution is served")
                continue
            firewall = web_acl_of(distribution.web_acl_id, self.provisioned.values())
            self.cdn = ServedDistribution(
                distribution,
                self.aws,
                api_urls,
                self.logs,
                self._cdn_port,
                check_bucket_policies=self._iam,
                web_acl=firewall[1] if firewall else None,
            )
            if firewall is not None:
                self._restate(firewall[0].logical_id, firewall[1].note(), "emulated")
            self.cdn.start()
            self._restate(distribution.logical_id, self.cdn.note(), "emulated")
            self._emit_realtime_logs(self.cdn)

    def _emit_realtime_logs(self, served: ServedDistribution) -> None:
        """The distribution's real-time log records, put to their streams with each log
        config's role, as CloudFront assumes it."""

        def clients_for_role(role_arn: str) -> AwsClients:
            session = self._moto.iam.session(role_arn, "cloudfront-realtime-logs")
            return AwsClients(self.aws_endpoint, session.credentials() if role_arn else None)

        arns = {b.realtime_log_config_arn for b in served.distribution.behaviors}
        logs = RealtimeLogs.for_distribution(
            arns, self.provisioned, clients_for_role, self.logs, served.distribution.logical_id
        )
        if not logs.senders:
            return
        logs.start()
        served.edge.observers.append(logs.observe)
        self.realtime_logs = logs
        for item in self.provisioned.values():
            if item.type == "AWS::CloudFront::RealtimeLogConfig" and item.physical_id in arns:
                self._restate(item.logical_id, logs.note())

    def _run_pipes(self, functions_by_arn: dict[str, str]) -> None:
        assert self.aws is not None
        pipes = self._emulated("AWS::Pipes::Pipe")
        readers = Counter(str(item.properties["Source"]) for item in pipes)
        for item in pipes:
            try:
                config = pipe_config(item, functions_by_arn)
            except ValueError as error:
                self._restate(item.logical_id, str(error), "skipped")
                continue
            owns_stream = readers[config.stream_arn] == 1
            session = self._moto.iam.session(str(item.properties.get("RoleArn", "")), config.name)
            runner = PipeRunner(
                config,
                AwsClients(self.aws_endpoint, session.credentials()),
                self._invoke_as(session),
                self.logs,
                owns_stream=owns_stream,
            )
            runner.start()
            self._pipes.append(runner)

    def _run_queue_triggers(self, functions_by_name: dict[str, str]) -> None:
        assert self.aws is not None
        for item in self._emulated("AWS::Lambda::EventSourceMapping"):
            if is_kinesis_mapping(item):
                self._run_stream_trigger(item, functions_by_name)
                continue
            try:
                config = sqs_mapping_config(item, functions_by_name)
            except ValueError as error:
                self._restate(item.logical_id, str(error), "skipped")
                continue
            concurrency = min(config.max_concurrency, self.pools[config.function].max_workers)
            if concurrency < config.max_concurrency:
                self._restate(
                    item.logical_id,
                    f"SQS poller, {concurrency} batches at once "
                    f"(MaximumConcurrency {config.max_concurrency})",
                )
            # Lambda polls the queue with the function's execution role.
            spec = self.pools[config.function].spec
            session = self._moto.iam.session(spec.role_arn, spec.name)
            clients = AwsClients(self.aws_endpoint, session.credentials())
            poller = SqsPoller(config, clients, self.invoke, self.logs, concurrency)
            poller.start()
            self._pollers.append(poller)

    def _run_stream_trigger(
        self, item: ProvisionedResource, functions_by_name: dict[str, str]
    ) -> None:
        """A Kinesis mapping: Lambda reads the shards with the function's execution role."""
        name = str(item.properties.get("FunctionName", "")).split("function:")[-1].split(":")[0]
        logical_id = functions_by_name.get(name)
        spec = self.pools[logical_id].spec if logical_id else None
        try:
            config = kinesis_mapping_config(item, functions_by_name, spec.role_arn if spec else "")
        except ValueError as error:
            self._restate(item.logical_id, str(error), "skipped")
            return
        assert spec is not None
        session = self._moto.iam.session(spec.role_arn, spec.name)
        clients = AwsClients(self.aws_endpoint, session.credentials())
        poller = KinesisPoller(config, clients, self.invoke, self.logs)
        poller.start()
        self._stream_pollers.append(poller)
        stream = config.stream_arn.rsplit("/", 1)[-1]
        self._restate(item.logical_id, f"Kinesis shard readers, one per shard of {stream}")

    def _session(self, role_arn: str, session_name: str) -> dict[str, str]:
        """A role session's credentials for a worker's environment (none: no role)."""
        if not role_arn:
            return {}
        return self._moto.iam.session(role_arn, session_name).environment()

    def _invoke_as(self, session: RoleSession) -> Any:
        """`invoke`, for a caller whose role must allow lambda:InvokeFunction first."""

        def invoke(logical_id: str, event: Any) -> Invocation:
            needed = [Authorization("lambda:InvokeFunction", self.pools[logical_id].spec.arn)]
            self._moto.iam.require(session, needed)
            return self.invoke(logical_id, event)

        return invoke

    def _emulated(self, resource_type: str) -> list[ProvisionedResource]:
        return [
            item
            for item in self.provisioned.values()
            if item.type == resource_type and item.outcome.served_by == "emulated"
        ]

    def _restate(self, logical_id: str, note: str, served_by: ServedBy | None = None) -> None:
        """Correct how a resource is served, once its emulator has had its say."""
        item = self.provisioned[logical_id]
        outcome = item.outcome
        item.outcome = Provisioned(
            outcome.physical_id, outcome.attributes, served_by or outcome.served_by, note
        )

    def _retire_idle_workers(self) -> None:
        while not self._stopping.wait(JANITOR_INTERVAL_SECONDS):
            for pool in list(self.pools.values()):
                pool.retire_idle()

    def _outputs(self, resolver: Resolver) -> dict[str, str]:
        assert self.template is not None
        outputs = {}
        for key, output in self.template.outputs.items():
            condition = output.get("Condition")
            if condition and not resolver.condition(condition):
                continue
            try:
                outputs[key] = str(resolver.resolve(output["Value"]))
            except IntrinsicError as error:
                self.logs.emit(SELF, f"output {key} is left out: {error}")
        return outputs

    def _export_name(self, resolver: Resolver, key: str) -> str | None:
        assert self.template is not None
        export = self.template.outputs[key].get("Export")
        if not export:
            return None
        try:
            return str(resolver.resolve(export["Name"]))
        except IntrinsicError:
            return None

    def _warm_all(self) -> None:
        started = time.perf_counter()
        with ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="warm") as warming:
            list(warming.map(lambda pool: pool.warm(), self.pools.values()))
        self.timings["warm_seconds"] = time.perf_counter() - started

    def _report(self) -> list[str]:
        assert self.template is not None
        in_template_order = [
            self.provisioned[logical_id]
            for logical_id in self.template.resources
            if logical_id in self.provisioned
        ]
        routes = [
            f"{method:<7} {resource.path}  -> {self._route_target(resource.methods[method])}"
            for gateway in self.gateways[:1]
            for resource in gateway.api.resources()
            for method in sorted(resource.methods)
        ]
        return [
            *resource_lines(in_template_order),
            "",
            *iam_lines(
                self._moto.iam,
                [
                    (item.logical_id, item.properties.get("PolicyDocument"))
                    for item in in_template_order
                    if item.type in RESOURCE_POLICY_TYPES and item.properties
                ],
            ),
            *ses_report_lines(),
            *(gateway_report_lines() if self.gateways else []),
            *endpoint_lines(
                stack_name=self.template.stack_name,
                api_url=self.api_url or None,
                cdn_url=self.cdn_url or None,
                aws_endpoint=self.aws_endpoint,
                routes=routes,
                outputs=self.outputs,
            ),
        ]

    @staticmethod
    def _route_target(method: Any) -> str:
        target = method.function or "MOCK"
        return f"{target} (authorizer)" if method.authorizer else target
