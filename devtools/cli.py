"""`keytally`: the operator's command line. Talks to a deployed stack's resources (--stack NAME, or --config-env ENV:
samconfig.toml's stack for it; found through CloudFormation with your AWS credentials and region), else to the
DynamoDB that boto3 is pointed at (AWS_ENDPOINT_URL_DYNAMODB, else AWS), table from --table or KEYTALLY_TABLE."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from devtools.stack import StackNotReachable
from devtools.store import PortInUse
from keytally.errors import KeytallyError

Output = tuple[Any, str]  # (JSON-able result, human text)


def _now() -> datetime:
    return datetime.now(UTC)


def _split(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value is not None else None


def _pair(value: str | None, separator: str, first: str, second: str) -> dict[str, str | int] | None:
    """'daily:100' -> {'interval': 'daily', 'amount': 100}: digits become numbers (the request models take JSON
    types strictly); pydantic then validates both parts."""
    if value is None:
        return None
    parts = [part.strip() for part in value.partition(separator)[::2]]
    left, right = (int(part) if part.isdigit() else part for part in parts)
    return {first: left, second: right}


def org_create(args: argparse.Namespace) -> Output:
    from keytally import admin

    org = admin.create_organization(args.slug, args.name, _now())
    return org.model_dump(mode="json"), f"Created organization {org.slug}"


def org_list(args: argparse.Namespace) -> Output:
    from keytally import admin

    orgs = admin.list_organizations()
    lines = [f"{org.slug:<32} {org.name:<32} created {org.created_time:%Y-%m-%d}" for org in orgs]
    return [org.model_dump(mode="json") for org in orgs], "\n".join(lines) or "No organizations."


def _user_line(user: Any) -> str:
    flags = [flag for flag, on in (("staff", user.is_staff), ("disabled", user.is_disabled)) if on]
    return f"{user.email:<40} {user.user_id:<30} {', '.join(flags)}".rstrip()


def user_create(args: argparse.Namespace) -> Output:
    from keytally import admin

    user = admin.create_user(args.email, is_staff=args.staff, now=_now())
    return (
        user.model_dump(mode="json"),
        f"Created {'staff ' if user.is_staff else ''}user {user.email} ({user.user_id})",
    )


def user_update(args: argparse.Namespace) -> Output:
    from keytally import admin

    user = admin.update_user(args.email, is_staff=args.staff, is_disabled=args.disabled)
    return user.model_dump(mode="json"), _user_line(user)


def user_list(args: argparse.Namespace) -> Output:
    from keytally import admin

    users = admin.list_users()
    return [user.model_dump(mode="json") for user in users], "\n".join(map(_user_line, users)) or "No users."


def member_add(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.models import Role

    membership = admin.add_member(args.org_slug, args.email, Role(args.role))
    return membership.model_dump(mode="json"), f"{args.email} is now {args.role} of {args.org_slug}"


def member_update(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.models import Role

    role = Role(args.role) if args.role else None
    membership = admin.update_member(args.org_slug, args.email, role=role, is_active=args.active)
    state = "active" if membership.is_active else "inactive"
    return membership.model_dump(mode="json"), f"{args.email} is {membership.role.value} of {args.org_slug} ({state})"


def member_remove(args: argparse.Namespace) -> Output:
    from keytally import admin

    admin.remove_member(args.org_slug, args.email)
    return {"org_slug": args.org_slug, "email": args.email}, f"{args.email} is no longer a member of {args.org_slug}"


def member_list(args: argparse.Namespace) -> Output:
    from keytally import admin

    members = admin.list_members(args.org_slug)
    result = [
        membership.model_dump(mode="json") | {"email": user.email if user else None} for membership, user in members
    ]
    lines = [
        f"{item['email'] or item['user_id']:<40} {item['role']:<8} {'' if item['is_active'] else 'inactive'}".rstrip()
        for item in result
    ]
    return result, "\n".join(lines) or "No members."


def key_create(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.api_keys.models import ApiKey, CreateApiKey

    kind = "user" if args.user else "product" if args.api else "organization"
    fields: dict[str, Any] = {"key_type": kind, "description": args.description}
    for name, value in (
        ("scope_names", _split(args.scopes)),
        ("allow_ips", _split(args.allow_ips)),
        ("rate_limit", args.rate_limit),
        ("expires_at", args.expires_at),
        ("api_id", args.api),
        ("external_id", args.external_id),
        ("permissions", _split(args.permissions)),
        ("remaining", args.remaining),
        ("refill", _pair(args.refill, ":", "interval", "amount")),
        ("ratelimit", _pair(args.ratelimit, "/", "limit", "duration")),
    ):
        if value is not None:
            fields[name] = value
    request = CreateApiKey.model_validate(fields)
    record, key_value = admin.create_key(request, _now(), org_slug=args.org, user_email=args.user)
    resource = ApiKey.of(record, key_value).model_dump(mode="json")
    return resource, f"Created {record.key_type.value} key {record.api_key_id}\n{key_value}\n(shown once: store it now)"


def key_revoke(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.api_keys.models import ApiKey

    record = admin.revoke_key(args.api_key_id, _now())
    return ApiKey.of(record).model_dump(mode="json"), f"Revoked {record.api_key_id} at {record.revoked_at}"


def pat_create(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.tokens.models import CreatePersonalAccessToken, PersonalAccessToken

    fields: dict[str, Any] = {
        "name": args.name,
        "read_only": args.read_only,
        "access_global_metrics": args.global_metrics,
        "organizationSlug": args.org,
        "expires_in_days": args.expires_in_days,
    }
    request = CreatePersonalAccessToken.model_validate(
        {name: value for name, value in fields.items() if value is not None}
    )
    record, token = admin.create_token(args.user, request, _now())
    resource = PersonalAccessToken.of(record, token).model_dump(mode="json")
    return (
        resource,
        f"Created personal access token {record.pat_id} for {args.user}\n{token}\n(shown once: store it now)",
    )


def pat_revoke(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.tokens.models import PersonalAccessToken

    record = admin.revoke_token(args.pat_id, _now())
    return PersonalAccessToken.of(record).model_dump(mode="json"), f"Revoked {record.pat_id} at {record.revoked_at}"


def api_create(args: argparse.Namespace) -> Output:
    from keytally import admin
    from keytally.apis.models import Api

    api = admin.create_api(args.org, args.name, _now())
    return Api.of(api).model_dump(mode="json"), f"Created API {api.api_id} ({api.name}) in {args.org}"


def rollup(args: argparse.Namespace) -> Output:
    from keytally.analytics.prometheus import summarize
    from keytally.rollup import roll_up_all

    now = _now()
    reports = roll_up_all(now)
    for report in reports:  # as the worker does after each run
        summarize(report.org_slug, now)
    result = [
        {
            "organization": report.org_slug,
            "events_read": report.events_read,
            "buckets_written": dict(report.buckets_written),
            "watermark": report.watermark.isoformat() if report.watermark else None,
        }
        for report in reports
    ]
    lines = [
        f"{item['organization']}: {item['events_read']} events read, buckets {item['buckets_written']}, "
        f"watermark {item['watermark']}"
        for item in result
    ]
    return result, "\n".join(lines) or "No organizations."


def demo(args: argparse.Namespace) -> Output:
    from devtools import demo as demo_data

    demo = demo_data.seed()
    apis = ", ".join(f"{slug}: {api_id}" for slug, api_id in demo.apis.items())
    lines = [
        (
            f"Demo organizations acme-org and beta-org are ready (APIs {apis}; {demo.events} usage events seeded, "
            "analytics exact now, `keytally rollup` makes them cheap)."
        ),
        "Keys (shown once):",
    ]
    lines += [f"  {key.label:<44} {key.key_value}" for key in demo.keys]
    lines += ["Personal access tokens (shown once):"] + [
        f"  {token.label}\n    {token.access_token}" for token in demo.tokens
    ]
    result = {
        "keys": [key.__dict__ for key in demo.keys],
        "tokens": [token.__dict__ for token in demo.tokens],
        "apis": demo.apis,
        "events": demo.events,
    }
    return result, "\n".join(lines)


def tables_create(args: argparse.Namespace) -> Output:
    from devtools.store import create_tables, local_names
    from devtools.template import Template

    template = Template()
    created = create_tables(template, local_names(template))
    return created, f"Created tables: {', '.join(created) or 'none (all exist)'}"


def doctor(args: argparse.Namespace) -> Output:
    from devtools import store
    from devtools.doctor import Place, examine, report
    from devtools.template import Template

    template = Template()
    resources: dict[str, tuple[str, str]] = getattr(args, "stack_resources", {})
    if resources:
        queues = {logical: physical for logical, (kind, physical) in resources.items() if kind == "AWS::SQS::Queue"}
        schedules = [physical for kind, physical in resources.values() if kind == "AWS::Scheduler::Schedule"]
    else:
        queues, schedules = store.local_names(template), []
    findings = examine(template, Place(queues, schedules, args.url, args.key))
    args.unhealthy = not all(finding.ok for finding in findings)
    return [finding._asdict() for finding in findings], report(findings)


def dev(args: argparse.Namespace) -> Output:
    from devtools.dev_server import run

    run(host=args.host, port=args.port, store_port=args.store_port, example_port=args.example_port)
    return None, ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keytally", description=__doc__)
    parser.add_argument("--table", help="entity table name (default: $KEYTALLY_TABLE or KeytallyTable)")
    deployed = parser.add_mutually_exclusive_group()
    deployed.add_argument("--stack", help="a deployed keytally stack: every resource from CloudFormation")
    deployed.add_argument("--config-env", help="samconfig.toml's environment (dev, prod): its stack, as --stack")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(group: argparse._SubParsersAction, name: str, run: Callable, help: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the result as JSON")
        sub.set_defaults(run=run)
        return sub

    org = commands.add_parser("org", help="organizations").add_subparsers(dest="action", required=True)
    sub = command(org, "create", org_create, "create an organization")
    sub.add_argument("slug")
    sub.add_argument("--name")
    command(org, "list", org_list, "list every organization")

    user = commands.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    sub = command(user, "create", user_create, "create a user")
    sub.add_argument("email")
    sub.add_argument("--staff", action="store_true", help="platform staff: may access every organization")
    sub = command(user, "update", user_update, "grant or revoke staff, disable or enable (from the next request)")
    sub.add_argument("email")
    sub.add_argument("--staff", action=argparse.BooleanOptionalAction, help="platform staff, or not")
    sub.add_argument("--disabled", action=argparse.BooleanOptionalAction, help="refuse every credential of the user")
    command(user, "list", user_list, "list every user")

    member = commands.add_parser("member", help="memberships").add_subparsers(dest="action", required=True)
    sub = command(member, "add", member_add, "add a user to an organization (or change their role)")
    sub.add_argument("org_slug")
    sub.add_argument("email")
    sub.add_argument("--role", required=True, choices=["owner", "admin", "member"])
    sub = command(member, "update", member_update, "change a member's role, or (de)activate the membership")
    sub.add_argument("org_slug")
    sub.add_argument("email")
    sub.add_argument("--role", choices=["owner", "admin", "member"])
    sub.add_argument("--active", action=argparse.BooleanOptionalAction, help="an inactive membership grants nothing")
    sub = command(member, "remove", member_remove, "remove a user from an organization")
    sub.add_argument("org_slug")
    sub.add_argument("email")
    sub = command(member, "list", member_list, "list an organization's members")
    sub.add_argument("org_slug")

    key = commands.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    sub = command(key, "create", key_create, "issue an organization, user or product key")
    owner = sub.add_mutually_exclusive_group(required=True)
    owner.add_argument("--org", help="an organization key for this organization slug")
    owner.add_argument("--user", help="a user key acting for this user's email")
    owner.add_argument("--api", help="a product key inside this API id, checked with /v1/keys/verify")
    sub.add_argument("--scopes", help="comma-separated scopes (default: all)")
    sub.add_argument("--allow-ips", help="comma-separated addresses or CIDRs (default: any)")
    sub.add_argument("--rate-limit", type=int, help="requests per hour, 1..10000 (default 5000)")
    sub.add_argument("--description", default="")
    sub.add_argument("--expires-at", help="ISO 8601 time with offset")
    product = sub.add_argument_group("product keys (--api)")
    product.add_argument("--external-id", help="the identity (your customer) the key belongs to")
    product.add_argument("--permissions", help="comma-separated permissions")
    product.add_argument("--remaining", type=int, help="credits (default: unlimited)")
    product.add_argument("--refill", help="INTERVAL:AMOUNT, e.g. daily:1000 or monthly:50000")
    product.add_argument("--ratelimit", help="LIMIT/DURATION_MS, e.g. 100/60000")
    sub = command(key, "revoke", key_revoke, "revoke a key (effective on its next request)")
    sub.add_argument("api_key_id")

    pat = commands.add_parser("pat", help="personal access tokens").add_subparsers(dest="action", required=True)
    sub = command(pat, "create", pat_create, "issue a personal access token of a user (printed once)")
    sub.add_argument("--user", required=True, help="the email of the user the token acts for")
    sub.add_argument("--org", help="bind the token to this organization (one the user is an active member of)")
    sub.add_argument("--read-only", action="store_true", help="only GET, HEAD and OPTIONS")
    sub.add_argument("--global-metrics", action="store_true", help="GET /v1/metrics/all (staff users only)")
    sub.add_argument("--name", default="cli", help="what the token is for (default: cli)")
    sub.add_argument("--expires-in-days", type=int, help="1..365 (default 90)")
    sub = command(pat, "revoke", pat_revoke, "revoke a token (effective on its next request)")
    sub.add_argument("pat_id")

    api = commands.add_parser("api", help="APIs (keyspaces for product keys)").add_subparsers(
        dest="action", required=True
    )
    sub = command(api, "create", api_create, "create an API (a keyspace for product keys)")
    sub.add_argument("--org", required=True)
    sub.add_argument("name")

    command(commands, "demo", demo, "seed demo organizations, users and keys")
    command(
        commands,
        "rollup",
        rollup,
        "roll every organization up once, now (the deployed rollup rolls up those with new events)",
    )
    tables = commands.add_parser("tables", help="tables").add_subparsers(dest="action", required=True)
    command(tables, "create", tables_create, "create the tables template.yaml defines (local endpoints)")
    sub = command(commands, "doctor", doctor, "check a deployment's health (with --stack or --config-env: a stack's)")
    sub.add_argument("--url", help="the API's base URL (a stack's ApiUrl output): check it answers")
    sub.add_argument("--key", help="a key for one authenticated call to --url")
    sub = command(commands, "dev", dev, "run the embedded store and the local API with demo data")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    sub.add_argument("--store-port", type=int, default=int(os.environ.get("KEYTALLY_STORE_PORT", "8000")))
    sub.add_argument("--example-port", type=int, default=int(os.environ.get("KEYTALLY_EXAMPLE_PORT", "3001")))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.stack or args.config_env:
            from devtools.stack import stack_of_environment, use_stack
            from devtools.template import Template

            args.stack_resources = use_stack(args.stack or stack_of_environment(args.config_env), Template())
        if args.table:
            os.environ["KEYTALLY_TABLE"] = args.table
        result, text = args.run(args)
    except ValidationError as error:
        return _fail(
            args,
            "UNPROCESSABLE_ENTITY",
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()),
        )
    except KeytallyError as error:
        return _fail(args, error.code, error.description or error.message)
    except PortInUse as error:
        return _fail(args, "PORT_IN_USE", str(error))
    except StackNotReachable as error:
        return _fail(args, "STACK_NOT_REACHABLE", str(error))
    if text:
        print(json.dumps(result, indent=2, default=str) if args.json else text)
    return 1 if getattr(args, "unhealthy", False) else 0


def _fail(args: argparse.Namespace, code: str, message: str) -> int:
    if args.json:
        print(json.dumps({"error": {"code": code, "message": message}}), file=sys.stderr)
    else:
        print(f"error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
