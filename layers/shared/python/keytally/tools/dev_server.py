"""`make dev`: the embedded store, tables from template.yaml, demo data, and the local API."""

from __future__ import annotations

import logging
import os

from keytally.tools import demo, store
from keytally.tools.local_api import serve
from keytally.tools.template import Template


def prepare(template: Template, store_port: int) -> None:
    """Points this process at a DynamoDB with the template's tables: AWS_ENDPOINT_URL_DYNAMODB if set,
    else moto's server started here; and sets the functions' environment from the template."""
    if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        store.use_local_credentials()
    else:
        store.start_moto(port=store_port)
    names = store.table_names(template)
    store.create_tables(template, names)
    for route in template.http_routes():
        for name, value in template.function_environment(route.function_id, names).items():
            os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


def run(host: str, port: int, store_port: int) -> None:
    # moto's server and the local API both log through werkzeug: keep only the local API's access lines
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    template = Template()
    prepare(template, store_port)
    keys = demo.seed()
    server = serve(template, host, port)
    base = f"http://{host}:{server.server_port}"
    org_key = next(k for k in keys if k.label == "organization key of acme-org").key_value
    print(f"keytally local API on {base} (DynamoDB at {os.environ['AWS_ENDPOINT_URL_DYNAMODB']})\n")
    print("Demo credentials (shown once):")
    for key in keys:
        print(f"  {key.label:<44} {key.key_value}")
    print("\nTry:")
    print(f"  curl -s {base}/v1/api_keys -H 'Authorization: Bearer {org_key}'")
    print(
        f"  curl -s -X POST {base}/v1/api_keys -H 'Authorization: Bearer {org_key}' "
        "-H 'Content-Type: application/json' -d '{\"description\": \"ci\", \"scope_names\": [\"keys:read\"]}'"
    )
    print(f"  curl -s '{base}/v1/api_keys?organizationSlug=beta-org' -H 'Authorization: Bearer {org_key}'  # 403")
    print(f"\nOpenAPI: {base}/v1/openapi.json   Swagger UI: {base}/v1/docs   (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
