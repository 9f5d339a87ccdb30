"""`make dev`: the embedded store, tables from template.yaml, demo data, the local API, and the example protected API
in front of the demo organization's product keys."""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime

from werkzeug.serving import make_server

from devtools import demo, store
from devtools.local_api import serve, start_queue_sources, start_schedules
from devtools.protected_api import protected_api
from devtools.template import Template

ACCESS_LOG_DELIVERY_SECONDS = 2


def prepare(template: Template, store_port: int) -> dict[str, str]:
    """Points this process at a DynamoDB with the template's tables: AWS_ENDPOINT_URL_DYNAMODB if set (with the
    token signing secret and the spill queue wherever Secrets Manager and SQS are: KEYTALLY_PAT_SECRET and
    KEYTALLY_SPILL_QUEUE name them), else moto's server started here with the template's secrets and queues too;
    and sets the functions' environment from the template. Returns the local names of tables and queues."""
    names = store.local_names(template)
    if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        store.use_local_credentials()
    else:
        store.start_moto(port=store_port)
        store.create_secrets(template)
        store.create_queues(template, names)
    store.create_tables(template, names)
    functions = {route.function_id for route in template.http_routes()} | {
        target.function_id for target in (*template.schedules(), *template.queue_sources())
    }
    for function_id in sorted(functions):
        for name, value in template.function_environment(function_id, names).items():
            os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    return names


def run(host: str, port: int, store_port: int, example_port: int) -> None:
    # moto's server and the local API both log through werkzeug: keep only the local API's access lines
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # where each client found its endpoint and credentials
    template = Template()
    store.require_free_port(host, port, "the local API moves with --port or PORT")
    store.require_free_port(host, example_port, "the example API moves with --example-port or KEYTALLY_EXAMPLE_PORT")
    names = prepare(template, store_port)
    seeded, started = demo.seed(), datetime.now(UTC)
    server = serve(template, host, port)
    stop_schedules = start_schedules(server.app, template.schedules())  # the first rollup dispatch starts now
    stop_queue_sources = start_queue_sources(server.app, template.queue_sources(), names)
    example_app, gateway = protected_api(server.app, template, seeded.apis["acme-org"])
    example_server = make_server(host, example_port, example_app, threaded=True)
    threading.Thread(target=example_server.serve_forever, name="example-api", daemon=True).start()
    stop_access_logs = gateway.deliver_every(ACCESS_LOG_DELIVERY_SECONDS)
    base = f"http://{host}:{server.server_port}"
    example = f"http://{host}:{example_server.server_port}"
    org_key = next(k for k in seeded.keys if k.label == "organization key of acme-org").key_value
    product = next(k for k in seeded.keys if k.label.startswith("product key of acme-org"))
    token = seeded.tokens[0]  # acme-org's owner's, read-only
    api = seeded.apis["acme-org"]
    print(f"keytally local API on {base} (DynamoDB at {os.environ['AWS_ENDPOINT_URL_DYNAMODB']})")
    print(
        f"{seeded.events} usage events over 30 days; the rollup dispatcher runs now and every minute, and the worker"
        " rolls up each organization with new events.\n"
    )
    print("Demo credentials (shown once):")
    for key in seeded.keys:
        print(f"  {key.label:<44} {key.key_value}")
    for token in seeded.tokens:
        print(f"  {token.label}\n    {token.access_token}")
    print("\nFor the README's curls, paste:")
    exports = {
        "ACME_ORG_KEY": org_key,
        "ACME_API_ID": api,
        "ACME_PRODUCT_KEY": product.key_value,
        "ACME_PRODUCT_KEY_ID": product.api_key_id,
        "ACME_READ_ONLY_TOKEN": token.access_token,
    }
    for name, value in exports.items():
        print(f"  export {name}={value}")
    print("\nTry:")
    print(f"  curl -s {base}/v1/api_keys -H 'Authorization: Bearer {org_key}'")
    print(
        f"  curl -s -X POST {base}/v1/api_keys -H 'Authorization: Bearer {org_key}' "
        '-H \'Content-Type: application/json\' -d \'{"description": "ci", "scope_names": ["keys:read"]}\''
    )
    print(f"  curl -s '{base}/v1/api_keys?organizationSlug=beta-org' -H 'Authorization: Bearer {org_key}'  # 403")
    print(
        f"  curl -s -X POST {base}/v1/keys/verify -H 'Authorization: Bearer {org_key}' "
        f'-H \'Content-Type: application/json\' -d \'{{"key": "{product.key_value}", "apiId": "{api}"}}\''
    )
    print(
        f"  curl -s '{base}/v1/analytics/verifications?apiId={api}&groupBy=day&groupBy=key' "
        f"-H 'Authorization: Bearer {org_key}'"
    )
    print(f"  curl -s '{base}/v1/analytics/api_keys?limit=3' -H 'Authorization: Bearer {org_key}'")
    print(f"  curl -s {base}/v1/personal-access-tokens -H 'Authorization: Bearer {token.access_token}'")
    print(f"  curl -s {base}/v1/metrics -H 'Authorization: Bearer {token.access_token}'")
    print(
        f"  curl -s -X POST {base}/v1/organizations/metrics -H 'Authorization: Bearer {org_key}' "
        "-H 'Content-Type: application/json' -d '{\"organizationSlug\": \"acme-org\"}'"
    )
    print(
        f"  curl -s -X POST {base}/v1/events -H 'Authorization: Bearer {org_key}' "
        "-H 'Content-Type: application/json' "
        f'-d \'{{"events": [{{"event_id": "req_1", "time": "{started:%Y-%m-%dT%H:%M:%SZ}", '
        f'"api_key_id": "{product.api_key_id}", "endpoint": "/v1/orders", "method": "GET", '
        f'"status": 200, "latency_ms": 35.2, "ip": "198.51.100.23"}}]}}\''
    )
    print(f"\nExample API: {example}   (examples/protected-api: keytally's authorizer in front of it, its access logs")
    print(f"  counted in acme-org's request analytics within {ACCESS_LOG_DELIVERY_SECONDS} s; docs/gateway.md)")
    print(f"  curl -s {example}/orders -H 'Authorization: Bearer {product.key_value}'")
    print(f"  curl -s {example}/orders  # 401")
    print(f"\nOpenAPI: {base}/v1/openapi.json   Swagger UI: {base}/v1/docs")
    print(f"Dashboard: {base}/dashboard   (sign in with any key or token above; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_schedules.set()
        stop_queue_sources.set()
        stop_access_logs.set()
        example_server.shutdown()
