"""The embedded AWS (moto's server: DynamoDB, Secrets Manager, SQS and SSM) and table, secret and queue creation from
template.yaml's definitions."""

from __future__ import annotations

import json
import os
import secrets
import socket
import string
from typing import Any

import boto3

from devtools import moto_atomic, moto_queries
from devtools.template import Template

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
_CREATE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")
_QUEUE_ATTRIBUTES = ("FifoQueue", "MessageRetentionPeriod", "VisibilityTimeout")


def use_local_credentials() -> None:
    """moto accepts any credentials; set harmless ones so nothing reaches for real ones."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def forget_container() -> None:
    """Drops what this process remembers as a Lambda container would (settings, table handles, organizations, its
    callers' counts, raw shard schedules, complete key censuses, the rollup markers it wrote): the next call reads the
    environment and the tables anew, as a new container would, even where an organization's slug is taken again in
    new tables."""
    from keytally.access import organization_created
    from keytally.auth import tally
    from keytally.settings import get_settings
    from keytally.storage import gateway_bindings, key_census, raw_shards, rollup_due
    from keytally.storage.dynamodb import forget_tables

    for cache in (get_settings, organization_created, gateway_bindings.ssm_parameters):
        cache.cache_clear()
    forget_tables()
    tally._tallies.clear()
    raw_shards.forget_cached()
    key_census.forget_cached()
    rollup_due.forget_written()


class PortInUse(RuntimeError):
    """A port the local stack needs is taken; the message names the option and variable that move it."""


def require_free_port(host: str, port: int, moved_by: str) -> None:
    """Raises PortInUse unless `port` can be bound (0 always can: the system picks one)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(f"{host}:{port} is already in use; {moved_by}.") from error


def start_moto(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Any:
    """Starts moto's server in this process (a background thread) and points boto3's DynamoDB, Secrets Manager and
    SQS clients (and SSM's, where gateways' bindings live) at it."""
    from moto.server import ThreadedMotoServer

    moto_queries.install()
    moto_atomic.install()

    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    require_free_port(host, port, "the embedded DynamoDB moves with --store-port or KEYTALLY_STORE_PORT")
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    use_local_credentials()
    endpoint = f"http://{host}:{port}"
    for service in ("DYNAMODB", "SECRETS_MANAGER", "SQS", "SSM"):
        os.environ[f"AWS_ENDPOINT_URL_{service}"] = endpoint
    return server


def local_names(template: Template, prefix: str = "") -> dict[str, str]:
    """Local names of the tables and queues: the template's logical ids (the layer's defaults), optionally
    prefixed; a FIFO queue's end in `.fifo`, as SQS requires."""
    tables = {logical_id: prefix + logical_id for logical_id in template.tables()}
    queues = {
        logical_id: prefix + logical_id + (".fifo" if properties.get("FifoQueue") else "")
        for logical_id, properties in template.queues().items()
    }
    return tables | queues


def create_tables(template: Template, names: dict[str, str]) -> list[str]:
    """Creates each table the template defines that does not exist yet; returns the ones created."""
    client = boto3.client("dynamodb")
    existing = set(client.list_tables()["TableNames"])
    created = []
    for logical_id, properties in template.tables().items():
        name = names[logical_id]
        if name in existing:
            continue
        client.create_table(TableName=name, **{k: properties[k] for k in _CREATE_KEYS if k in properties})
        client.get_waiter("table_exists").wait(TableName=name)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        created.append(name)
    return created


def create_queues(template: Template, names: dict[str, str]) -> list[str]:
    """Creates each queue the template defines that does not exist yet (dead-letter queues first, so a redrive
    policy can name one); returns the ones created."""
    client = boto3.client("sqs")
    existing = {url.rsplit("/", 1)[-1] for url in client.list_queues().get("QueueUrls", [])}
    created = []
    for logical_id, properties in sorted(template.queues().items(), key=lambda queue: "RedrivePolicy" in queue[1]):
        name = names[logical_id]
        if name in existing:
            continue
        attributes = {key: _attribute(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties}
        if "RedrivePolicy" in properties:
            policy = properties["RedrivePolicy"]
            dead_letter = names[policy["deadLetterTargetArn"]["Fn::GetAtt"][0]]
            arn = client.get_queue_attributes(
                QueueUrl=client.get_queue_url(QueueName=dead_letter)["QueueUrl"], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": policy["maxReceiveCount"]}
            )
        client.create_queue(QueueName=name, Attributes=attributes)
        created.append(name)
    return created


def _attribute(value: object) -> str:
    """A queue attribute as SQS takes it: YAML's `true` is the string "true"."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def create_secrets(template: Template) -> list[str]:
    """Creates each secret the template defines that does not exist yet, named by its logical id, with a random
    value as its GenerateSecretString would make (letters and digits); returns the ones created."""
    client = boto3.client("secretsmanager")
    existing = {
        secret["Name"] for page in client.get_paginator("list_secrets").paginate() for secret in page["SecretList"]
    }
    created = []
    for name, properties in template.secrets().items():
        if name in existing:
            continue
        length = properties.get("GenerateSecretString", {}).get("PasswordLength", 64)
        value = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))
        client.create_secret(Name=name, SecretString=value)
        created.append(name)
    return created
