"""The local S3 refuses Signature Version 2 as buckets created since 2020 do, and takes SigV4."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud

BUCKET = "sigv2-refused"
REFUSAL = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)


@pytest.fixture(scope="module")
def s3_object(mini_client: Callable[[str], Any]) -> str:
    mini_client("s3").create_bucket(Bucket=BUCKET)
    mini_client("s3").put_object(Bucket=BUCKET, Key="a.txt", Body=b"hello")
    return "a.txt"


def _client(mini_cloud: LocalCloud, signature_version: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=mini_cloud.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version=signature_version, retries={"max_attempts": 1}),
    )


def test_a_sigv2_presigned_url_is_refused_as_s3_refuses_it(
    mini_cloud: LocalCloud, s3_object: str
) -> None:
    url = _client(mini_cloud, "s3").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": s3_object}, ExpiresIn=60
    )
    assert "AWSAccessKeyId=" in url
    assert "Signature=" in url

    answer = requests.get(url, timeout=10)

    assert answer.status_code == 400
    assert "<Code>InvalidRequest</Code>" in answer.text
    assert REFUSAL in answer.text


def test_a_sigv2_signed_call_is_refused(mini_cloud: LocalCloud, s3_object: str) -> None:
    with pytest.raises(ClientError) as refused:
        _client(mini_cloud, "s3").get_object(Bucket=BUCKET, Key=s3_object)

    assert refused.value.response["Error"]["Code"] == "InvalidRequest"
    assert refused.value.response["Error"]["Message"] == REFUSAL


def test_sigv4_presigned_urls_and_calls_work(mini_cloud: LocalCloud, s3_object: str) -> None:
    client = _client(mini_cloud, "s3v4")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": s3_object}, ExpiresIn=60
    )

    assert requests.get(url, timeout=10).content == b"hello"
    assert client.get_object(Bucket=BUCKET, Key=s3_object)["Body"].read() == b"hello"
