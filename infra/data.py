"""Where the data lives: the five tables, the QR bucket and the access-log bucket."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from infra.logical_ids import pin_logical_id

_STRING = dynamodb.AttributeType.STRING


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=_STRING)


class Tables(Construct):
    """Links (streamed: the source of every link event), ApiKeys, Webhooks, Idempotency, Clicks."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config

        self.links = self._table(
            "LinksTable",
            partition_key="pk",
            sort_key="sk",
            # The Pipe needs both images: link.updated carries the fields before the change.
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        # Sparse: only link items carry both attributes, so this lists an owner's links.
        self._by_owner(self.links)
        # Sparse too: one item per (link, tag) carries `tag_key` ("{owner}#{tag}"), so an
        # owner's links with a tag are a query, newest first. Keys only: the page's links are
        # then read by key, so the index never holds a second copy of a link to keep in step.
        self.links.add_global_secondary_index(
            index_name="by_tag",
            partition_key=_key("tag_key"),
            sort_key=_key("created_at"),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )

        self.keys = self._table("KeysTable", partition_key="key_hash")
        self.keys.add_global_secondary_index(
            index_name="by_key_id",
            partition_key=_key("key_id"),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self._by_owner(self.keys)

        # Delivery log items expire 30 days after their last attempt (shortener/webhooks).
        self.webhooks = self._table(
            "WebhooksTable", partition_key="pk", sort_key="sk", time_to_live_attribute="expires_at"
        )
        # An endpoint's deliveries newest first (`pk` is the endpoint's partition of the log).
        self.webhooks.add_global_secondary_index(
            index_name="by_time",
            partition_key=_key("pk"),
            sort_key=_key("created_at"),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Powertools' idempotency records expire through the table's TTL.
        self.idempotency = self._table(
            "IdempotencyTable", partition_key="id", time_to_live_attribute="expiration"
        )
        # Click counters per link hour and owner day, and the markers that count each logged
        # request once; both expire through the TTL (shortener/clicks/store.py).
        self.clicks = self._table(
            "ClicksTable", partition_key="pk", sort_key="sk", time_to_live_attribute="expires"
        )

    @property
    def all(self) -> list[dynamodb.Table]:
        return [self.links, self.keys, self.webhooks, self.idempotency, self.clicks]

    def _table(
        self,
        logical_id: str,
        *,
        partition_key: str,
        sort_key: str | None = None,
        stream: dynamodb.StreamViewType | None = None,
        time_to_live_attribute: str | None = None,
    ) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            logical_id,
            partition_key=_key(partition_key),
            sort_key=_key(sort_key) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=stream,
            time_to_live_attribute=time_to_live_attribute,
            deletion_protection=self._config.retain_data,
            removal_policy=self._config.removal_policy,
        )
        pin_logical_id(table, logical_id)
        return table

    @staticmethod
    def _by_owner(table: dynamodb.Table) -> None:
        """An owner's items newest first (timestamps are ISO strings that sort as time)."""
        table.add_global_secondary_index(
            index_name="by_owner",
            partition_key=_key("owner"),
            sort_key=_key("created_at"),
            projection_type=dynamodb.ProjectionType.ALL,
        )


class Buckets(Construct):
    """The QR images, and the bucket that receives S3 and CloudFront access logs."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        # The access-log destination has no access log of its own: that would only loop.
        # Without auto-delete (a custom resource the local cloud could not run), deleting a
        # dev stack fails on a non-empty bucket until it is emptied: the safer failure.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            # CloudFront standard logging writes with ACLs, which BucketOwnerEnforced refuses.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            removal_policy=config.removal_policy,
        )
        pin_logical_id(self.access_logs, "AccessLogsBucket")

        self.qr = s3.Bucket(
            self,
            "QrBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="s3/qr/",
            removal_policy=config.removal_policy,
        )
        pin_logical_id(self.qr, "QrBucket")
