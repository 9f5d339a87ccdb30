"""What the end-to-end tests share: how to start `keytally dev` (what `make dev` runs) as a real process, and small
HTTP helpers for it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

KEYTALLY = Path(sys.executable).with_name("keytally")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, method: str = "GET", key: str | None = None, body: dict | None = None):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def demo_key(output: str, label: str) -> str:
    return re.search(rf"{re.escape(label)}\s+(kt_\S+)", output).group(1)


def running_dev_server() -> Iterator[tuple[str, str]]:
    """(base URL, everything it printed up to "Ctrl-C stops"): its own embedded store and ports, stopped after. Its
    log (stderr) goes to a file, whose tracebacks are printed when it stops: pytest shows them with a failure."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "KEYTALLY_TABLE")}
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed when the server has stopped
    process = subprocess.Popen(
        [
            str(KEYTALLY),
            "dev",
            "--port",
            str(port),
            "--store-port",
            str(free_port()),
            "--example-port",
            str(free_port()),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    lines, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C stops" in line:
            break
    try:
        assert lines and "Ctrl-C stops" in lines[-1], "".join(lines)
        yield f"http://127.0.0.1:{port}", "".join(lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.seek(0)
        logged = log.read()
        log.close()
        if "Traceback" in logged:
            print(f"keytally dev logged errors:\n{logged}")
