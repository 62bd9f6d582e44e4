"""CloudFront, served: the template's distribution on loopback, with its behaviours, origins,
cache policies and an edge cache that CloudFront API invalidations purge."""

from localcloud.cloudfront.cache import EdgeCache
from localcloud.cloudfront.distribution import Distribution, distributions
from localcloud.cloudfront.edge import Edge
from localcloud.cloudfront.invalidations import subscribe
from localcloud.cloudfront.origins import Origins
from localcloud.cloudfront.server import CdnServer
from localcloud.cloudfront.service import ServedDistribution

__all__ = [
    "CdnServer",
    "Distribution",
    "Edge",
    "EdgeCache",
    "Origins",
    "ServedDistribution",
    "distributions",
    "subscribe",
]
