"""`keytally doctor`: is a deployment (or the local stack) healthy? Each check says in words what it found: the
tables, the token signing secret, the dead-letter queues (what waits in them, in their alarm's words), the rollup
dispatcher's schedule and how far behind its cursor is, and, given the API's URL, the API answering (given a key, an
authenticated call)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from devtools.template import Template

ROLLUP_LAG = timedelta(minutes=15)  # the cursor trails now by up to ten minutes while the dispatcher keeps its minute


class Finding(NamedTuple):
    check: str
    ok: bool
    words: str


class Place(NamedTuple):
    """Where the deployment's parts are: its queues (logical id -> URL or name) and its schedules' names (none
    locally, where the local API runs the dispatcher on a timer); the API's URL and a key to call it with."""

    queues: dict[str, str]
    schedules: list[str]
    url: str | None = None
    key: str | None = None


def examine(template: Template, place: Place) -> list[Finding]:
    """Every check, in order; one that cannot run is a failure saying why."""
    checks: dict[str, Callable[[], Finding]] = {
        "tables": lambda: _tables(template),
        "secret": _secret,
        "dead-letter queues": lambda: _dead_letters(template, place.queues),
        "schedule": lambda: _schedules(place.schedules),
        "rollup": lambda: _rollup(datetime.now(UTC)),
    }
    if place.url:
        checks["api"] = lambda: _api(place.url.rstrip("/"), place.key)  # type: ignore[union-attr]
    findings = []
    for name, check in checks.items():
        try:
            findings.append(check())
        except Exception as error:
            findings.append(Finding(name, False, f"could not be checked: {error}"))
    return findings


def _tables(template: Template) -> Finding:
    import boto3

    from keytally.settings import get_settings

    settings = get_settings()
    names = [settings.table_name, settings.events_table, settings.five_minute_table, settings.hourly_table]
    names += [settings.daily_table, settings.monthly_table]
    dynamodb = boto3.client("dynamodb")
    bad = []
    for name in names:
        try:
            status = dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
        except dynamodb.exceptions.ResourceNotFoundException:
            status = "missing"
        if status != "ACTIVE":
            bad.append(f"{name} is {status}")
    if bad:
        return Finding("tables", False, "; ".join(bad))
    return Finding("tables", True, f"{len(names)} of {len(template.tables())} ACTIVE")


def _secret() -> Finding:
    from keytally.errors import ServiceUnavailable
    from keytally.settings import get_settings
    from keytally.storage.signing_key import pat_signing_key

    try:
        pat_signing_key()
    except ServiceUnavailable:
        secret = get_settings().pat_secret
        return Finding("secret", False, f"{secret} cannot be read: no personal access token can be made or checked")
    return Finding("secret", True, "the token signing secret reads")


def _dead_letters(template: Template, queues: dict[str, str]) -> Finding:
    """Each queue an alarm watches: empty, or how many messages wait in it and what they are."""
    import boto3

    sqs = boto3.client("sqs")
    watched = _watched_queues(template)
    waiting = []
    for logical, meaning in watched.items():
        queue = queues[logical]
        url = queue if queue.startswith(("https://", "http://")) else sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        count = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        if count:
            waiting.append(f"{logical} holds {count} ({meaning})")
    if waiting:
        return Finding("dead-letter queues", False, "; ".join(waiting))
    return Finding("dead-letter queues", True, f"{len(watched)} empty")


def _watched_queues(template: Template) -> dict[str, str]:
    """Logical id -> the alarm's description, of each queue an alarm watches."""
    watched = {}
    for alarm in template.of_type("AWS::CloudWatch::Alarm").values():
        for dimension in alarm["Properties"].get("Dimensions", []):
            value = dimension["Value"]
            if dimension["Name"] == "QueueName" and isinstance(value, dict) and "Fn::GetAtt" in value:
                watched[value["Fn::GetAtt"][0]] = alarm["Properties"]["AlarmDescription"]
    return watched


def _schedules(names: list[str]) -> Finding:
    if not names:
        return Finding("schedule", True, "local: the local API runs the dispatcher every minute")
    import boto3

    scheduler = boto3.client("scheduler")
    disabled = [name for name in names if scheduler.get_schedule(Name=name)["State"] != "ENABLED"]
    if disabled:
        return Finding("schedule", False, f"{', '.join(disabled)} disabled: no rollup runs, analytics fall behind")
    return Finding("schedule", True, f"{len(names)} enabled")


def _rollup(now: datetime) -> Finding:
    from keytally.storage.rollup_due import get_cursor

    cursor = get_cursor()
    if cursor is None:
        return Finding("rollup", False, "the dispatcher has never run: check its schedule and its function's errors")
    minutes = max(0, int((now - cursor).total_seconds() // 60))
    if now - cursor > ROLLUP_LAG:
        return Finding(
            "rollup",
            False,
            f"the dispatcher's cursor is {minutes} minutes behind ({cursor:%Y-%m-%d %H:%M} UTC): queries read more raw"
            " events and organizations wait; check its schedule and its function's errors",
        )
    return Finding("rollup", True, f"the dispatcher's cursor is {minutes} minutes behind")


def _api(url: str, key: str | None) -> Finding:
    status, body = _get(f"{url}/v1/openapi.json", None)
    if status != 200:
        return Finding("api", False, f"GET {url}/v1/openapi.json answered {status}: {str(body)[:200]}")
    if key is None:
        return Finding("api", True, f"{url} answers (give --key for an authenticated call)")
    status, body = _get(f"{url}/v1/api_keys", key)
    if status != 200:
        reason = body.get("error", {}).get("message") if isinstance(body, dict) else body
        return Finding("api", False, f"GET /v1/api_keys with the key answered {status}: {reason}")
    return Finding("api", True, f"{url} answers, and GET /v1/api_keys with the key lists {len(body['data'])} keys")


def _get(url: str, key: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def report(findings: list[Finding]) -> str:
    return "\n".join(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.check:<19} {finding.words}" for finding in findings)
