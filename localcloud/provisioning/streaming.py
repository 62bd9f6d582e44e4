"""Kinesis data streams and Secrets Manager secrets, in moto.

- A stream keeps its mode (an on-demand stream gets moto's four shards), retention period and
  encryption. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kinesis-stream.html
- A secret with `GenerateSecretString` gets a value generated as Secrets Manager generates it
  (GetRandomPassword with the same options; `SecretStringTemplate` + `GenerateStringKey` make a
  JSON object), so every local run has its own, like every deployed stage.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-secretsmanager-secret-generatesecretstring.html
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.provisioning.base import ProvisionContext, Provisioned, provisions, tags_as_dict
from localcloud.template import Resource

DEFAULT_RETENTION_HOURS = 24
# GenerateSecretString's options, as GetRandomPassword names them, and their defaults.
_PASSWORD_OPTIONS = {
    "PasswordLength": 32,
    "ExcludeCharacters": "",
    "ExcludeNumbers": False,
    "ExcludePunctuation": False,
    "ExcludeUppercase": False,
    "ExcludeLowercase": False,
    "IncludeSpace": False,
    "RequireEachIncludedType": True,
}


@provisions("AWS::Kinesis::Stream")
def stream(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    kinesis = context.aws("kinesis")
    name = props.get("Name") or context.name(resource.logical_id, 128)
    mode = props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
    request: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        request["ShardCount"] = int(props.get("ShardCount", 1))
    kinesis.create_stream(**request)
    hours = int(props.get("RetentionPeriodHours", DEFAULT_RETENTION_HOURS))
    if hours > DEFAULT_RETENTION_HOURS:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=hours)
    encryption = props.get("StreamEncryption")
    if encryption:
        kinesis.start_stream_encryption(
            StreamName=name,
            EncryptionType=encryption.get("EncryptionType", "KMS"),
            KeyId=encryption.get("KeyId", "alias/aws/kinesis"),
        )
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        kinesis.add_tags_to_stream(StreamName=name, Tags=tags)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    shards = "4 shards (moto's on-demand)" if mode == "ON_DEMAND" else f"{mode.lower()}"
    note = f"{shards}, {hours} h retention (records bounded: localcloud.retention.kinesis)"
    return Provisioned(name, {"Arn": arn}, "moto", note)


@provisions("AWS::SecretsManager::Secret")
def secret(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    secrets = context.aws("secretsmanager")
    name = props.get("Name") or context.name(resource.logical_id, 256)
    request: dict[str, Any] = {"Name": name, "SecretString": _secret_string(context, props)}
    if props.get("Description"):
        request["Description"] = props["Description"]
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn = secrets.create_secret(**request)["ARN"]
    note = "value generated" if "GenerateSecretString" in props else ""
    return Provisioned(arn, {"Id": arn}, "moto", note)


def _secret_string(context: ProvisionContext, props: dict[str, Any]) -> str:
    if "SecretString" in props:
        return str(props["SecretString"])
    generate = props.get("GenerateSecretString")
    if generate is None:
        return ""
    options = {key: generate.get(key, default) for key, default in _PASSWORD_OPTIONS.items()}
    password = context.aws("secretsmanager").get_random_password(**options)["RandomPassword"]
    template, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
    if template and key:
        return json.dumps({**json.loads(template), key: password})
    return str(password)
