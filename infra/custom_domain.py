"""The short domain: the distribution's alias and certificate, and its Route 53 alias records.

A shortener's product is its domain, so a stage may give its distribution one (`domain_name`,
`certificate_arn`, optional `hosted_zone_id`: infra/config.py CustomDomain). CloudFront serves
an alternate domain name only with a certificate from ACM in us-east-1 that covers it; viewers
then get TLS 1.2 at least, with the 2021 cipher suites (the policy CloudFront recommends), and
SNI, which every current client sends.
- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html
- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
- https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-cloudfront-distribution.html

Public reads (redirects, QR images) redirect plain HTTP to HTTPS; the API's behaviours stay
`https-only` (403 over HTTP): CloudFront's redirect is a 301, which turns a POST into a GET.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.config import CustomDomain, StageConfig
from infra.logical_ids import pin_logical_id

MINIMUM_VIEWER_TLS = cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021


def distribution_alias(scope: Construct, domain: CustomDomain) -> dict[str, Any]:
    """The Distribution properties that make it answer on `domain` over TLS 1.2 or later."""
    certificate = acm.Certificate.from_certificate_arn(
        scope, "ShortDomainCertificate", domain.certificate_arn
    )
    return {
        "domain_names": [domain.name],
        "certificate": certificate,
        "minimum_protocol_version": MINIMUM_VIEWER_TLS,
        "ssl_support_method": cloudfront.SSLMethod.SNI,
    }


def short_base_url(config: StageConfig, distribution_url: str) -> str:
    """Where short links start: an explicit `short_base_url`, else the short domain, else the
    distribution's own name (`distribution_url`)."""
    if config.short_base_url:
        return config.short_base_url
    return config.custom_domain.base_url if config.custom_domain else distribution_url


class ShortDomainRecords(Construct):
    """`A` and `AAAA` alias records of the short domain to the distribution (IPv4 and IPv6:
    CDK's distributions answer on both), in the stage's hosted zone."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: CustomDomain,
        distribution: cloudfront.IDistribution,
    ) -> None:
        super().__init__(scope, construct_id)
        zone = route53.HostedZone.from_hosted_zone_id(self, "Zone", domain.hosted_zone_id)
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(distribution))
        # A fully qualified name (the trailing dot) needs no zone name to be known.
        record_name = f"{domain.name}."
        ipv4 = route53.ARecord(self, "Ipv4", zone=zone, record_name=record_name, target=target)
        ipv6 = route53.AaaaRecord(self, "Ipv6", zone=zone, record_name=record_name, target=target)
        pin_logical_id(ipv4, "ShortDomainRecordIpv4")
        pin_logical_id(ipv6, "ShortDomainRecordIpv6")
