"""What CloudWatch Logs hands a subscription filter's Lambda destination: a log group's events, JSON, gzipped and
base64-encoded under `awslogs.data`."""

from __future__ import annotations

import base64
import gzip
import json
import time
from typing import Any


def subscription_event(log_group: str, messages: list[str], log_stream: str = "local") -> dict[str, Any]:
    now = int(time.time() * 1000)
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": ["keytally"],
        "logEvents": [
            {"id": f"{now}{index:08d}", "timestamp": now, "message": message} for index, message in enumerate(messages)
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
