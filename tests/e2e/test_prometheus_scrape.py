"""A real Prometheus (Debian's `prometheus` package) scrapes `keytally dev` twice over, as an operator's often does:
acme-org's /v1/metrics with its owner's token, and every organization's /v1/metrics/all with a staff key. Every
panel of dashboards/keytally.json finds data for each job, and counts each organization once: the panels' numbers,
job by job, are the export's own. Skipped, with the command that installs it, when it is missing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from dev_stack import demo_key, free_port, request

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "keytally.json"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus missing: apt-get install prometheus"),
]


@pytest.fixture
def prometheus(dev_server, tmp_path):
    """Prometheus scraping the dev server every 15 s: /v1/metrics with acme-org's owner's read-only token (job
    `keytally`), /v1/metrics/all with the staff user's key (job `keytally-all`). A scrape takes seconds on moto while
    the dev server's first rollup runs."""
    base, output = dev_server
    token = re.search(r"read-only token of alice@acme.example \(acme-org\)\s+(eyJ\S+)", output).group(1)
    staff = demo_key(output, "user key of staff@keytally.example")

    def job(name: str, path: str, credential: str) -> dict:
        return {
            "job_name": name,
            "metrics_path": path,
            "authorization": {"type": "Bearer", "credentials": credential},
            "static_configs": [{"targets": [base.removeprefix("http://")]}],
        }

    config = {
        "global": {"scrape_interval": "15s", "scrape_timeout": "15s", "evaluation_interval": "15s"},
        "scrape_configs": [job("keytally", "/v1/metrics", token), job("keytally-all", "/v1/metrics/all", staff)],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def query(prometheus: str, promql: str) -> list[dict]:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())["data"]["result"]
    except OSError:
        return []  # not up yet


def eventually(prometheus: str, promql: str, accept, seconds: float = 240) -> list[dict]:
    deadline, result = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        result = query(prometheus, promql)
        if accept(result):
            return result
        time.sleep(0.5)
    raise AssertionError(f"{promql}: {result}")


def test_prometheus_scrapes_exact_counters_and_every_panel_has_data(dev_server, prometheus):
    base, output = dev_server
    eventually(prometheus, 'up{job="keytally"}', lambda result: result and result[0]["value"][1] == "1")
    org_key = demo_key(output, "organization key of acme-org")
    product = demo_key(output, "product key of acme-org (cust_hooli)")
    api_id = re.search(r"export ACME_API_ID=(\S+)", output).group(1)
    valid = f'keytally_verifications_total{{api_id="{api_id}",outcome="VALID"}}'
    eventually(prometheus, valid, bool)
    time.sleep(17)  # a scrape after the demo's last verification (none is in flight)
    before = float(query(prometheus, valid)[0]["value"][1])
    for _ in range(5):
        status, _, body = request(f"{base}/v1/keys/verify", "POST", org_key, {"key": product, "apiId": api_id})
        assert status == 200 and body["data"]["valid"] is True
    eventually(prometheus, valid, lambda result: result and float(result[0]["value"][1]) == before + 5)

    dashboard = json.loads(DASHBOARD.read_text())
    all_valid = f'keytally_verifications_total{{job="keytally-all",org="acme-org",api_id="{api_id}",outcome="VALID"}}'
    eventually(prometheus, all_valid, bool)  # acme-org's worker has noted its counters for /v1/metrics/all
    variables = [  # Grafana's variables as Grafana fills them in: each job, every organization of it
        {"$job": job, "$org": ".*", "$__rate_interval": "2m", "$__range": "1h"} for job in ("keytally", "keytally-all")
    ]
    for filled in variables:
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                promql = target["expr"]
                for name, value in filled.items():
                    promql = promql.replace(name, value)
                assert eventually(prometheus, promql, bool), (panel["title"], promql)
    # the keys panel, job by job, counts each organization once: what its own export says, never the two jobs added
    keys_panel = next(panel for panel in dashboard["panels"] if panel["title"] == "API keys by state")
    for job_name, orgs in (("keytally", ["acme-org"]), ("keytally-all", ["acme-org", "beta-org"])):
        promql = keys_panel["targets"][0]["expr"].replace("$job", job_name).replace("$org", ".*")
        shown = {row["metric"]["state"]: float(row["value"][1]) for row in query(prometheus, promql)}
        exported = dict.fromkeys(shown, 0.0)
        for org in orgs:
            for row in query(prometheus, f'keytally_api_keys{{job="{job_name}",org=~"{org}|"}}'):
                exported[row["metric"]["state"]] += float(row["value"][1])
        assert shown == exported and shown["active"] > 0, (job_name, shown, exported)
    lag = next(panel for panel in dashboard["panels"] if panel["title"].startswith("Rollup lag"))
    promql = lag["targets"][0]["expr"].replace("$job", "keytally-all").replace("$org", ".*")
    stalest = query(prometheus, 'time() - min(keytally_rollup_watermark_timestamp_seconds{job="keytally-all"})')
    assert float(query(prometheus, promql)[0]["value"][1]) == pytest.approx(float(stalest[0]["value"][1]), abs=1)
