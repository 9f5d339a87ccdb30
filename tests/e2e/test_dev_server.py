"""`keytally dev` (what `make dev` runs) as a real process: moto's server, tables, demo data, the local API
over HTTP, and the curl calls it prints."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from dev_stack import demo_key, request
from prometheus_client.parser import text_string_to_metric_families as parse_text


def test_prints_credentials_and_twelve_curl_calls(dev_server):
    _, output = dev_server
    assert len(re.findall(r"^\s+curl ", output, flags=re.M)) == 12  # keytally's ten, the example API's two
    assert re.search(r"read-only token of alice@acme.example \(acme-org\)\s+eyJ\S+\.\S+\.\S+", output)
    for label in (
        "organization key of acme-org",
        "organization key of beta-org",
        "user key of bob@example.com",
        "user key of staff@keytally.example",
        "product key of acme-org (cust_hooli)",
    ):
        assert demo_key(output, label)


def test_the_printed_curl_calls_work(dev_server):
    _, output = dev_server
    statuses, bodies = [], []
    for line in re.findall(r"^\s+(curl .*?)(?:\s+# \d+)?$", output, flags=re.M):
        completed = subprocess.run(
            [*shlex.split(line), "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=30
        )
        body, _, status = completed.stdout.rpartition("\n")
        statuses.append(status)
        bodies.append(body if "/v1/metrics" in line else json.loads(body))  # Prometheus text, not JSON
    assert statuses == ["200", "201", "403", "200", "200", "200", "200", "200", "200", "200", "200", "401"]
    assert bodies[3]["data"]["valid"] is True
    assert bodies[4]["data"] and all(point["total"] > 0 for point in bodies[4]["data"])  # 30 days, at once
    requests = bodies[5]["data"]  # the demo's last 24 hours of request logs, with some made with no key
    assert requests["core_metrics"]["total_requests"] > 0
    assert [row["other"] for row in requests["most_used_api_keys"]] == [False, False, False, True]
    assert None in {row["api_key_id"] for row in requests["api_key_metrics_30d"]}
    tokens = bodies[6]["data"]  # the token lists its own user's tokens: itself, never its string
    assert [(token["read_only"], token["organization_slug"], token["access_token"]) for token in tokens] == [
        (True, "acme-org", None)
    ]
    scraped = {sample.name for family in parse_text(bodies[7]) for sample in family.samples if sample.value > 0}
    assert {"keytally_verifications_total", "keytally_requests_total", "keytally_api_keys"} <= scraped
    metrics = bodies[8]["data"]  # all time: the demo's 30 days
    assert metrics["verifications"]["total"] > 0 and metrics["requests"]["total"] > 0 and metrics["apis"] == 1
    assert bodies[9]["data"]["results"][0]["result"] in ("accepted", "duplicate")
    assert bodies[10]["orders"] and bodies[10]["servedTo"]["keyId"]  # the example API, behind keytally's authorizer
    assert bodies[11] == {"message": "Unauthorized"}


def test_calls_through_the_example_api_are_counted_in_request_analytics(dev_server):
    base, output = dev_server
    example = re.search(r"^Example API: (\S+)", output, flags=re.M).group(1)
    product = demo_key(output, "product key of acme-org (cust_hooli)")
    org_key = demo_key(output, "organization key of acme-org")
    start = int(time.time() * 1000)
    statuses = [request(f"{example}/orders/{n}", key=product)[0] for n in (1, 2, 3)]
    statuses.append(request(f"{example}/orders", key="kt_prd_nosuchkey")[0])
    assert statuses == [200, 200, 404, 403]
    window = f"start={start - 1000}&end={start + 120_000}&endpoint=/orders/{{id}}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the access logs come within the delivery interval, as CloudWatch's do
        counted = request(f"{base}/v1/analytics/api_keys?{window}", key=org_key)[2]["data"]["core_metrics"]
        if counted["total_requests"] == 3:
            break
        time.sleep(0.5)
    assert (counted["total_requests"], counted["total_errors"]) == (3, 1)


def test_http_round_trip(dev_server):
    base, output = dev_server
    owner = demo_key(output, "user key of alice@acme.example")
    status, headers, body = request(f"{base}/v1/api_keys?organizationSlug=acme-org", key=owner)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert {key["organizationSlug"] for key in body["data"]} == {"acme-org"}
    status, _, created = request(f"{base}/v1/api_keys", "POST", owner, {"organizationSlug": "acme-org"})
    assert status == 201
    new_id, new_key = created["data"]["api_key_id"], created["data"]["key_value"]
    assert request(f"{base}/v1/api_keys/{new_id}", key=new_key)[0] == 200
    assert request(f"{base}/v1/api_keys/{new_id}", "DELETE", owner)[0] == 200
    status, headers, _ = request(f"{base}/v1/api_keys", key=new_key)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    beta = demo_key(output, "organization key of beta-org")
    assert request(f"{base}/v1/api_keys/{new_id}", key=beta)[0] == 404


def test_docs_and_openapi_are_served(dev_server):
    base, _ = dev_server
    status, _, spec = request(f"{base}/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    with urllib.request.urlopen(f"{base}/v1/docs", timeout=30) as response:
        assert response.status == 200 and "swagger" in response.read().decode().lower()


def documented_curl_blocks() -> dict[str, list[str]]:
    """The shell blocks that call the local API (or the example API beside it), in the README and in each page of
    docs/, by file."""
    root = Path(__file__).resolve().parents[2]
    blocks = {}
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        found = re.findall(r"```sh\n(.*?)```", page.read_text(), flags=re.S)
        blocks[page.name] = [block for block in found if re.search(r"^curl .*127\.0\.0\.1:300[01]", block, flags=re.M)]
    return blocks


def test_the_documented_curls_run_as_written_with_the_printed_exports(dev_server):
    base, output = dev_server
    example = re.search(r"^Example API: (\S+)", output, flags=re.M).group(1)
    exports = dict(re.findall(r"^\s+export (\w+)=(\S+)$", output, flags=re.M))
    assert exports["ACME_ORG_KEY"] == demo_key(output, "organization key of acme-org")
    assert exports["ACME_PRODUCT_KEY"] == demo_key(output, "product key of acme-org (cust_hooli)")
    report_status = "curl() { command curl \"$@\" -o /dev/null -w '%{http_code}\\n'; }\n"
    pages = documented_curl_blocks()
    assert len(pages["README.md"]) >= 3
    for block in (block for blocks in pages.values() for block in blocks):
        commands = [command for command in re.split(r"^(?=curl )", block, flags=re.M) if command.startswith("curl")]
        # the DELETE names a placeholder id (the page says to take one from the listing): refused, never a 5xx
        expected = ["4xx" if "ak_..." in command else "2xx" for command in commands]
        ran = subprocess.run(
            [
                "bash",
                "-c",
                report_status + block.replace("http://127.0.0.1:3000", base).replace("http://127.0.0.1:3001", example),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **exports},
        )
        statuses = [f"{status[0]}xx" if status[0] in "24" else status for status in ran.stdout.split()]
        assert statuses == expected, (block, ran.stdout, ran.stderr)
