"""Tables and buckets: what the data model and the Pipe rely on, and what prod must keep."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from stack_template import StackTemplate

TABLES = ("LinksTable", "KeysTable", "WebhooksTable", "IdempotencyTable", "ClicksTable")


def _key_schema(props: dict) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in props["KeySchema"]}


def _indexes(props: dict) -> dict[str, dict]:
    return {
        index["IndexName"]: {
            "keys": _key_schema(index),
            "projection": index["Projection"]["ProjectionType"],
        }
        for index in props.get("GlobalSecondaryIndexes", [])
    }


def test_links_table_streams_both_images_for_the_pipe(dev: StackTemplate) -> None:
    links = dev.props("LinksTable")
    assert _key_schema(links) == {"HASH": "pk", "RANGE": "sk"}
    assert links["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_owner_indexes_list_items_newest_first(dev: StackTemplate) -> None:
    by_owner = {"keys": {"HASH": "owner", "RANGE": "created_at"}, "projection": "ALL"}
    # by_tag: one item per (link, tag), keyed "{owner}#{tag}"; the links are then read by key.
    by_tag = {"keys": {"HASH": "tag_key", "RANGE": "created_at"}, "projection": "KEYS_ONLY"}
    assert _indexes(dev.props("LinksTable")) == {"by_owner": by_owner, "by_tag": by_tag}
    assert _indexes(dev.props("KeysTable")) == {
        "by_owner": by_owner,
        "by_key_id": {"keys": {"HASH": "key_id"}, "projection": "ALL"},
    }
    assert _key_schema(dev.props("KeysTable")) == {"HASH": "key_hash"}
    assert _key_schema(dev.props("WebhooksTable")) == {"HASH": "pk", "RANGE": "sk"}


def test_the_delivery_log_expires_by_ttl_and_lists_an_endpoints_deliveries_newest_first(
    dev: StackTemplate,
) -> None:
    webhooks = dev.props("WebhooksTable")
    assert webhooks["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert _indexes(webhooks) == {
        "by_time": {"keys": {"HASH": "pk", "RANGE": "created_at"}, "projection": "ALL"}
    }


def test_idempotency_records_expire_by_ttl(dev: StackTemplate) -> None:
    idempotency = dev.props("IdempotencyTable")
    assert _key_schema(idempotency) == {"HASH": "id"}
    assert idempotency["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_click_counters_and_markers_expire_by_ttl(dev: StackTemplate) -> None:
    clicks = dev.props("ClicksTable")
    assert _key_schema(clicks) == {"HASH": "pk", "RANGE": "sk"}
    assert clicks["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


@pytest.mark.parametrize("table", TABLES)
def test_every_table_is_on_demand_encrypted_and_recoverable(dev: StackTemplate, table: str) -> None:
    props = dev.props(table)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("table", TABLES)
def test_prod_keeps_tables_and_protects_them_from_deletion(
    dev: StackTemplate, prod: StackTemplate, table: str
) -> None:
    assert prod.resources[table]["DeletionPolicy"] == "Retain"
    assert prod.resources[table]["UpdateReplacePolicy"] == "Retain"
    assert prod.props(table)["DeletionProtectionEnabled"] is True
    # A dev stack is disposable: its tables go with it.
    assert dev.resources[table]["DeletionPolicy"] == "Delete"
    assert dev.props(table).get("DeletionProtectionEnabled") is False


def test_prod_stack_has_termination_protection(dev: StackTemplate, prod: StackTemplate) -> None:
    assert prod.stack.termination_protection is True
    assert dev.stack.termination_protection is False


@pytest.mark.parametrize("bucket", ["QrBucket", "AccessLogsBucket"])
def test_buckets_are_private_encrypted_and_tls_only(dev: StackTemplate, bucket: str) -> None:
    props = dev.props(bucket)
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    dev.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_qr_bucket_access_is_logged(dev: StackTemplate) -> None:
    logging = dev.props("QrBucket")["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
