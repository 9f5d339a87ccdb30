"""The example's backend: a few orders, served to whoever keytally's authorizer let through. It does no
authentication of its own: the verified key's id, identity and credits arrive in the authorizer's context."""

from __future__ import annotations

import json
from typing import Any

ORDERS = {
    "1": {"id": "1", "item": "keyboard", "total": 89.0},
    "2": {"id": "2", "item": "monitor", "total": 329.0},
}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    caller = event["requestContext"]["authorizer"]["lambda"]  # HTTP API payload 2.0 (a REST API: ["authorizer"])
    order_id = (event.get("pathParameters") or {}).get("id")
    route = event["routeKey"]
    if route == "GET /orders":
        status, body = 200, {"orders": list(ORDERS.values())}
    elif order_id not in ORDERS:
        status, body = 404, {"message": f"No order {order_id}"}
    elif route == "GET /orders/{id}":
        status, body = 200, ORDERS[order_id]
    else:  # DELETE /orders/{id}: kept, the example deletes nothing
        status, body = 200, {"deleted": order_id}
    served = {"keyId": caller["keyId"], "externalId": caller.get("externalId"), "remaining": caller.get("remaining")}
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body | {"servedTo": served}),
    }
