"""A distribution, served: its edge behind an HTTP server, purged by the CloudFront API's
invalidations for as long as it runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from localcloud.aws import AwsClients
from localcloud.cloudfront.cache import EdgeCache
from localcloud.cloudfront.distribution import Distribution
from localcloud.cloudfront.edge import Edge
from localcloud.cloudfront.invalidations import subscribe
from localcloud.cloudfront.origins import Origins
from localcloud.cloudfront.server import CdnServer
from localcloud.cloudfront.viewer_headers import names_device_headers
from localcloud.cloudfront.waf import WebAcl
from localcloud.logs import LogSink

_ENFORCED_PROTOCOLS = ("https-only", "redirect-to-https")


class ServedDistribution:
    def __init__(
        self,
        distribution: Distribution,
        aws: AwsClients,
        api_urls: Mapping[str, str],
        logs: LogSink,
        port: int = 0,
        *,
        check_bucket_policies: bool = True,
        web_acl: WebAcl | None = None,
    ) -> None:
        self.distribution = distribution
        self._checks_policies = check_bucket_policies
        origins = Origins(
            aws, api_urls, distribution.arn, check_bucket_policies=check_bucket_policies
        )
        self.edge = Edge(distribution, origins, EdgeCache(), logs, web_acl)
        self._server = CdnServer(self.edge, port)
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._unsubscribe = subscribe(self.distribution.id, self.edge.purge)
        self._server.start()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._server.stop()

    def note(self) -> str:
        """How it is served, for the start-up report."""
        behaviors = self.distribution.behaviors
        parts = [f"served on {self.url}: {len(behaviors)} behaviours, edge cache"]
        if any(b.origin.bucket for b in behaviors):
            checked = "checked" if self._checks_policies else "not checked (--no-iam)"
            parts.append(f"S3 origins' bucket policies {checked}")
        if any(b.viewer_protocol_policy in _ENFORCED_PROTOCOLS for b in behaviors):
            parts.append("viewer protocol policy not enforced: no TLS locally")
        parts.append("compression not emulated")
        if any(names_device_headers(b) for b in behaviors):
            parts.append(
                "device headers (CloudFront-Is-*-Viewer) from User-Agent tokens, not "
                "CloudFront's device database"
            )
        if self.edge.web_acl is not None:
            parts.append(f"web ACL {self.edge.web_acl.name} in front")
        elif self.distribution.web_acl_id:
            parts.append(
                f"web ACL {self.distribution.web_acl_id} not in the template: not enforced"
            )
        parts += self.distribution.notes
        return "; ".join(parts)
