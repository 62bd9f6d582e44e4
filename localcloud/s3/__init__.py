"""S3 as buckets created today behave, where moto's S3 is more lenient."""

from localcloud.s3.signature_version import RefuseSigV2

__all__ = ["RefuseSigV2"]
