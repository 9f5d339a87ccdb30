"""A real Prometheus (Debian's `prometheus` package) scrapes `keytally dev` with a personal access token, and every
panel of dashboards/keytally.json finds data in it. Skipped, with the command that installs it, when it is missing."""

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
    """Prometheus scraping the dev server's /v1/metrics every 15 s with acme-org's owner's read-only token (a scrape
    takes seconds on moto while the dev server's first rollup runs)."""
    base, output = dev_server
    token = re.search(r"read-only token of alice@acme.example \(acme-org\)\s+(eyJ\S+)", output).group(1)
    config = {
        "global": {"scrape_interval": "15s", "scrape_timeout": "15s", "evaluation_interval": "15s"},
        "scrape_configs": [
            {
                "job_name": "keytally",
                "metrics_path": "/v1/metrics",
                "authorization": {"type": "Bearer", "credentials": token},
                "static_configs": [{"targets": [base.removeprefix("http://")]}],
            }
        ],
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
    for panel in dashboard["panels"]:
        for target in panel["targets"]:  # Grafana's variables as Grafana would fill them in
            promql = target["expr"].replace("$__rate_interval", "2m").replace("$org", ".*")
            assert eventually(prometheus, promql, bool), (panel["title"], promql)
