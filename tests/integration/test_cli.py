"""The operator CLI against moto: how a fresh deployment gets its first organization and key."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from devtools.cli import main


def run(capsys, *argv: str) -> tuple[int, dict | list, str]:
    code = main(["--json", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else json.loads(captured.err), captured.err


def test_first_organization_user_and_keys(tables, capsys, client):
    assert run(capsys, "org", "create", "acme-org")[0] == 0
    code, user, _ = run(capsys, "user", "create", "Ops@Acme.example", "--staff")
    assert code == 0 and user["email"] == "ops@acme.example" and user["is_staff"] is True
    assert run(capsys, "member", "add", "acme-org", "ops@acme.example", "--role", "owner")[0] == 0
    code, org_key, _ = run(
        capsys,
        "key",
        "create",
        "--org",
        "acme-org",
        "--scopes",
        "keys:read,keys:write",
        "--allow-ips",
        "127.0.0.1,::1",
        "--rate-limit",
        "100",
        "--description",
        "first",
    )
    assert code == 0 and org_key["key_value"].startswith("kt_org_")
    assert org_key["scope_names"] == ["keys:read", "keys:write"] and org_key["allow_ips"] == ["127.0.0.1/32", "::1/128"]
    code, user_key, _ = run(capsys, "key", "create", "--user", "ops@acme.example")
    assert code == 0 and user_key["behalf_of_user_info"]["email"] == "ops@acme.example"
    code, api, _ = run(capsys, "api", "create", "--org", "acme-org", "Payments")
    assert code == 0 and api["api_id"].startswith("api_")

    response = client.get("/v1/api_keys", headers={"Authorization": f"Bearer {org_key['key_value']}"})
    assert response.status_code == 200 and response.headers["X-RateLimit-Limit"] == "100"
    assert run(capsys, "key", "revoke", org_key["api_key_id"])[0] == 0
    assert client.get("/v1/api_keys", headers={"Authorization": f"Bearer {org_key['key_value']}"}).status_code == 401


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("org", "create", "Bad Slug"), "UNPROCESSABLE_ENTITY"),
        (("member", "add", "missing-org", "x@y.z", "--role", "admin"), "NOT_FOUND"),
        (("key", "create", "--org", "missing-org"), "NOT_FOUND"),
        (("key", "create", "--user", "nobody@x.example"), "NOT_FOUND"),
        (("key", "create", "--org", "acme-org", "--scopes", "root"), "UNPROCESSABLE_ENTITY"),
        (("key", "revoke", "ak_missing"), "NOT_FOUND"),
    ],
)
def test_errors_are_reported_not_raised(tables, capsys, argv, code):
    main(["org", "create", "acme-org"])
    capsys.readouterr()
    exit_code, error, _ = run(capsys, *argv)
    assert exit_code == 1 and error["error"]["code"] == code


def test_duplicate_organization_is_a_conflict(tables, capsys):
    assert run(capsys, "org", "create", "acme-org")[0] == 0
    code, error, _ = run(capsys, "org", "create", "acme-org")
    assert code == 1 and error["error"]["code"] == "CONFLICT_ERROR"


def test_demo_seeds_every_kind_of_key(tables, capsys):
    code, demo, _ = run(capsys, "demo")
    assert code == 0
    assert {key["key_value"][:7] for key in demo["keys"]} == {"kt_org_", "kt_usr_", "kt_prd_"}
    assert set(demo["apis"]) == {"acme-org", "beta-org"} and demo["events"] > 1000
    assert run(capsys, "demo")[0] == 0  # repeatable: keeps organizations and users, issues fresh keys


def test_product_keys_and_a_rollup_by_hand(tables, capsys, client):
    assert run(capsys, "org", "create", "acme-org")[0] == 0
    org_key = run(capsys, "key", "create", "--org", "acme-org")[1]["key_value"]
    api = run(capsys, "api", "create", "--org", "acme-org", "Payments")[1]["api_id"]
    code, product, _ = run(
        capsys,
        "key",
        "create",
        "--api",
        api,
        "--external-id",
        "cust_1",
        "--permissions",
        "read,write",
        "--refill",
        "daily:100",
        "--ratelimit",
        "10/60000",
    )
    assert code == 0 and product["key_value"].startswith("kt_prd_") and product["organizationSlug"] == "acme-org"
    assert product["remaining"] == 100 and product["refill"] == {"interval": "daily", "amount": 100}
    assert product["ratelimit"] == {"limit": 10, "duration": 60000} and product["permissions"] == ["read", "write"]
    assert run(capsys, "key", "create", "--api", api, "--refill", "hourly:5")[0] != 0
    assert run(capsys, "key", "create", "--org", "acme-org", "--remaining", "5")[0] != 0

    response = client.post(
        "/v1/keys/verify",
        headers={"Authorization": f"Bearer {org_key}"},
        json={"key": product["key_value"], "apiId": api},
    )
    assert response.status_code == 200 and response.get_json()["data"]["remaining"] == 99
    code, reports, _ = run(capsys, "rollup")
    assert code == 0 and [report["organization"] for report in reports] == ["acme-org"]
    assert reports[0]["watermark"] is not None


@pytest.mark.parametrize(
    ("option", "moved_by"),
    [("--store-port", "KEYTALLY_STORE_PORT"), ("--port", "PORT"), ("--example-port", "KEYTALLY_EXAMPLE_PORT")],
)
def test_dev_exits_at_once_naming_the_option_when_a_port_is_taken(option, moved_by):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = {"--store-port": "0", "--port": "0", "--example-port": "0", option: str(taken.getsockname()[1])}
        arguments = [part for item in ports.items() for part in item]
        started = subprocess.run(
            [sys.executable, "-m", "devtools.cli", "dev", *arguments],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": ""},
        )
    assert started.returncode == 1
    assert option in started.stderr and moved_by in started.stderr and "already in use" in started.stderr


def test_grants_end_from_the_cli_and_listings_show_them(tables, capsys, client):
    assert run(capsys, "org", "create", "acme-org")[0] == 0
    assert run(capsys, "user", "create", "ops@acme.example", "--staff")[0] == 0
    assert run(capsys, "user", "create", "dev@acme.example")[0] == 0
    assert run(capsys, "member", "add", "acme-org", "dev@acme.example", "--role", "admin")[0] == 0
    staff_key = run(capsys, "key", "create", "--user", "ops@acme.example")[1]["key_value"]
    dev_key = run(capsys, "key", "create", "--user", "dev@acme.example")[1]["key_value"]

    def status(key: str, path: str = "/v1/api_keys?organizationSlug=acme-org") -> int:
        return client.get(path, headers={"Authorization": f"Bearer {key}"}).status_code

    assert (status(staff_key, "/v1/metrics/all"), status(dev_key)) == (200, 200)
    assert run(capsys, "user", "update", "ops@acme.example", "--no-staff")[1]["is_staff"] is False
    assert status(staff_key, "/v1/metrics/all") == 403
    assert run(capsys, "member", "update", "acme-org", "dev@acme.example", "--role", "member")[1]["role"] == "member"
    assert status(dev_key) == 403
    assert run(capsys, "member", "update", "acme-org", "dev@acme.example", "--no-active")[1]["is_active"] is False
    code, members, _ = run(capsys, "member", "list", "acme-org")
    assert code == 0 and [(m["email"], m["role"], m["is_active"]) for m in members] == [
        ("dev@acme.example", "member", False)
    ]
    assert run(capsys, "member", "remove", "acme-org", "dev@acme.example")[0] == 0
    assert run(capsys, "member", "list", "acme-org")[1] == []
    assert run(capsys, "member", "remove", "acme-org", "dev@acme.example")[1]["error"]["code"] == "NOT_FOUND"
    assert run(capsys, "user", "update", "dev@acme.example", "--disabled")[1]["is_disabled"] is True
    assert status(dev_key, "/v1/organizations") == 401
    code, users, _ = run(capsys, "user", "list")
    assert [(u["email"], u["is_staff"], u["is_disabled"]) for u in users] == [
        ("dev@acme.example", False, True),
        ("ops@acme.example", False, False),
    ]
    assert [org["slug"] for org in run(capsys, "org", "list")[1]] == ["acme-org"]


@pytest.fixture
def stack(tables, monkeypatch):
    """A deployed stack as CloudFormation lists it (stubbed): every resource of template.yaml, its tables and queues
    the test's, its secret moto's; returns a function arming the stub with some of them, or an error."""
    import boto3
    from botocore.stub import Stubber

    from devtools import stack as stacks
    from devtools.template import Template
    from keytally.settings import LOCAL_DEFAULTS

    for name in LOCAL_DEFAULTS:  # the CLI sets them from the stack: each test gets its own back
        monkeypatch.setenv(name, os.environ[name]) if name in os.environ else monkeypatch.delenv(name, raising=False)
    secret = boto3.client("secretsmanager").describe_secret(SecretId="PatSigningSecret")["ARN"]
    physical = {logical: tables[logical] for logical in (*Template().tables(), *Template().queues())}
    physical |= {
        "PatSigningSecret": secret,
        "VerifyFunction": "keytally-prod-VerifyFunction-AbC123",
        "RollupDispatchFunctionEveryMinute": f"keytally-prod-every-minute-{uuid.uuid4().hex[:6]}",
    }
    kinds = {logical: resource["Type"] for logical, resource in Template().resources.items()}
    kinds["RollupDispatchFunctionEveryMinute"] = "AWS::Scheduler::Schedule"  # SAM's, from the function's ScheduleV2
    client = boto3.client("cloudformation")
    stubber = Stubber(client)
    monkeypatch.setattr(stacks, "cloudformation_client", lambda: client)

    def listed(stack_name: str, leave_out: tuple[str, ...] = (), error: str | None = None) -> dict[str, str]:
        if error:
            stubber.add_client_error("list_stack_resources", "ValidationError", error, 400)
        else:
            summaries = [
                {
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": name,
                    "ResourceType": kinds[logical],
                    "LastUpdatedTimestamp": "2026-12-01T00:00:00Z",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for logical, name in physical.items()
                if logical not in leave_out
            ]
            stubber.add_response(
                "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": stack_name}
            )
        stubber.activate()
        return physical

    return listed


def test_the_cli_finds_every_resource_of_a_deployed_stack(stack, capsys):
    physical = stack("keytally-prod")
    assert run(capsys, "--stack", "keytally-prod", "org", "create", "stack-org")[0] == 0
    assert os.environ["KEYTALLY_TABLE"] == physical["KeytallyTable"]
    assert os.environ["KEYTALLY_EVENTS_TABLE"] == physical["RawEventsTable"]
    assert os.environ["KEYTALLY_PAT_SECRET"] == physical["PatSigningSecret"]  # the ARN, as the functions have it
    assert os.environ["KEYTALLY_ROLLUP_QUEUE"] == physical["RollupQueue"]
    assert os.environ["KEYTALLY_GATEWAY_PARAMETERS"] == "/keytally-prod/gateways/"
    stack("keytally-prod")
    assert run(capsys, "--stack", "keytally-prod", "user", "create", "ops@stack.example")[0] == 0
    stack("keytally-prod")
    code, token, _ = run(capsys, "--stack", "keytally-prod", "pat", "create", "--user", "ops@stack.example")
    assert code == 0 and token["access_token"].count(".") == 2  # signed with the stack's secret


def test_a_samconfig_environment_names_its_stack(stack, capsys):
    stack("keytally-prod")
    assert run(capsys, "--config-env", "prod", "org", "create", "env-org")[0] == 0
    code, error, _ = run(capsys, "--config-env", "staging", "org", "list")
    assert code == 1 and error["error"]["code"] == "STACK_NOT_REACHABLE"
    assert "staging" in error["error"]["message"] and "prod" in error["error"]["message"]


@pytest.mark.parametrize(
    ("listing", "said"),
    [
        ({"leave_out": ("RollupQueue", "MonthlyRollupsTable")}, "has no MonthlyRollupsTable, RollupQueue"),
        ({"error": "Stack with id keytally-prod does not exist"}, "No stack named keytally-prod in us-east-1"),
        ({"error": "User is not authorized to perform: cloudformation:ListStackResources"}, "not authorized"),
    ],
    ids=["older stack", "no such stack", "no permission"],
)
def test_what_the_cli_cannot_find_in_a_stack_it_names(stack, capsys, listing, said):
    stack("keytally-prod", **listing)
    code, error, _ = run(capsys, "--stack", "keytally-prod", "org", "list")
    assert code == 1 and error["error"]["code"] == "STACK_NOT_REACHABLE"
    assert said in error["error"]["message"]


def test_doctor_says_what_is_wrong_with_a_deployed_stack_in_words(stack, capsys, monkeypatch):
    import boto3

    from keytally import rollup

    def doctor() -> tuple[int, list[dict]]:
        stack("keytally-prod")
        code = main(["--json", "--stack", "keytally-prod", "doctor"])
        return code, json.loads(capsys.readouterr().out)  # healthy or not, the findings are the answer

    monkeypatch.setenv("AWS_ENDPOINT_URL_SCHEDULER", os.environ["AWS_ENDPOINT_URL_DYNAMODB"])  # moto's
    physical = stack("keytally-prod")  # (armed here only for the names; each doctor() arms it again)
    schedule = physical["RollupDispatchFunctionEveryMinute"]
    target = {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "RoleArn": "arn:aws:iam::123456789012:role/r"}
    scheduler = boto3.client("scheduler")
    scheduler.create_schedule(
        Name=schedule, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
    )
    code, findings = doctor()
    assert code == 1  # the dispatcher has not run yet
    assert [finding["check"] for finding in findings if not finding["ok"]] == ["rollup"]
    assert "never run" in findings[-1]["words"]

    rollup.dispatch(datetime.now(UTC))
    code, findings = doctor()
    assert code == 0 and all(finding["ok"] for finding in findings), findings

    scheduler.update_schedule(
        Name=schedule,
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        State="DISABLED",
    )
    dead = boto3.client("sqs").get_queue_url(QueueName=physical["EventSpillDeadLetterQueue"])["QueueUrl"]
    boto3.client("sqs").send_message(QueueUrl=dead, MessageBody="[]")
    code, findings = doctor()
    failed = {finding["check"]: finding["words"] for finding in findings if not finding["ok"]}
    assert code == 1 and set(failed) == {"dead-letter queues", "schedule"}
    assert (
        "EventSpillDeadLetterQueue holds 1 (keytally usage events the drain could not store"
        in failed["dead-letter queues"]
    )
    assert f"{schedule} disabled" in failed["schedule"]
