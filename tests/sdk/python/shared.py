"""What both SDKs' tests need: the keytally they run against, and product keys issued through keytally's own API."""

from __future__ import annotations

import json
import os
import time
import urllib.request

BASE = os.environ["KEYTALLY_URL"]
ROOT_KEY = os.environ["KEYTALLY_ROOT_KEY"]


def keytally(path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{BASE}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ROOT_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        return json.load(response)["data"]


def new_api() -> str:
    return keytally("/v1/apis", {"name": f"py-sdk-{time.time_ns()}"})["api_id"]


def product_key(api_id: str, **fields) -> tuple[str, str]:
    issued = keytally("/v1/api_keys", {"api_id": api_id, **fields})
    return issued["key_value"], issued["api_key_id"]
