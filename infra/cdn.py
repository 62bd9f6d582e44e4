"""CloudFront in front of the API: redirects cached at the edge, QR images served from the private
bucket through Origin Access Control, the management API passed through."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import CustomDomain, StageConfig
from infra.custom_domain import distribution_alias
from infra.logical_ids import pin_logical_id
from infra.nag import acknowledge

# First path segments of the management API and its documentation: never cached, every method,
# the caller's headers. `/links` and `/links/*`, never `/links*`: an alias like `linkshare` must
# stay a cached redirect. The API reserves exactly these segments (and `qr`) as aliases.
MANAGEMENT_SEGMENTS = ("links", "webhooks", "stats", "docs")
UNCACHED_PATHS = (
    *(pattern for segment in MANAGEMENT_SEGMENTS for pattern in (f"/{segment}", f"/{segment}/*")),
    "/openapi.json",
)
# The QR images, `/qr/{code}.png|svg`: the object keys of the QR bucket.
QR_PATH = "/qr/*"
# CloudFront's headers for a viewer's phone platform, which the redirect picks targets by.
DEVICE_HEADERS = ("CloudFront-Is-IOS-Viewer", "CloudFront-Is-Android-Viewer")


class Cdn(Construct):
    """The public entry point; the default behaviour is the redirect, `GET /{code}`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        rest_api: apigw.RestApi,
        qr_images: s3.IBucket,
        access_logs: s3.IBucket,
        click_log: cloudfront.IRealtimeLogConfig | None = None,
        short_domain: CustomDomain | None = None,
        web_acl_arn: str | None = None,
    ) -> None:
        """`click_log`: the real-time log config every redirect is logged to (infra/clicks.py)."""
        super().__init__(scope, construct_id)
        ttl = Duration.seconds(config.redirect_cache_ttl_seconds)
        # A redirect depends on its path, and for a link with device targets on the visitor's
        # platform: CloudFront's device headers are the key's only headers, so iOS, Android
        # and everyone else each share one cached answer per code (the cdn consumer
        # invalidates it), and no cookie or query string splits it further. MinTTL 0: a
        # usage-limited link's `private, no-store` is honoured, so every click reaches its count.
        # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html
        # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
        redirect_cache = cloudfront.CachePolicy(
            self,
            "RedirectCachePolicy",
            comment="Shortener redirects: keyed on the path and the viewer's phone platform",
            default_ttl=ttl,
            max_ttl=ttl,
            min_ttl=Duration.seconds(0),
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list(*DEVICE_HEADERS),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
        )
        # The visitor's own User-Agent reaches the redirect (not in the key): a usage-limited
        # link tells bots from people by it.
        redirect_origin_request = cloudfront.OriginRequestPolicy(
            self,
            "RedirectOriginRequestPolicy",
            comment="Shortener redirects: the viewer's User-Agent, for the bot rules",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list("User-Agent"),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
        )
        # The stage is known: a literal path instead of one cut out of the API's URL.
        origin = origins.RestApiOrigin(rest_api, origin_path=f"/{config.stage}")
        management = cloudfront.BehaviorOptions(
            origin=origin,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # Forwards Authorization (allowed with caching off); Host must stay API Gateway's.
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            # A redirect to https would turn a POST into a GET: refuse plain http instead.
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        )
        # The bucket stays private: only this distribution may read it (the bucket policy's
        # AWS:SourceArn condition), and its images are cached long (the cdn consumer invalidates
        # them when their link changes or goes).
        qr = cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(qr_images),
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Shortener ({config.stage})",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=redirect_cache,
                origin_request_policy=redirect_origin_request,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                # Every redirect is logged as it is answered, cache hits included: the clicks.
                realtime_log_config=click_log,
            ),
            additional_behaviors={**dict.fromkeys(UNCACHED_PATHS, management), QR_PATH: qr},
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="cloudfront/",
            # The short domain and its TLS policy (infra/custom_domain.py); the web ACL
            # (infra/edge_firewall.py).
            **(distribution_alias(self, short_domain) if short_domain else {}),
            web_acl_id=web_acl_arn,
        )
        pin_logical_id(self.distribution, "Distribution")
        if short_domain is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "No short domain given (domain_name, certificate_arn): the distribution serves "
                "the default *.cloudfront.net certificate, whose viewer TLS policy CloudFront "
                "fixes; TLSv1.2_2021 comes with the short domain's certificate.",
            )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "Short links are meant to be followed from anywhere: no geographic restriction.",
        )
        if web_acl_arn is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR2",
                "WAF is off for this stage (context waf=false: on in prod); the API stage "
                "throttles requests and management routes require an API key.",
            )
