"""`make bench`'s store: moto in this process, started once whatever sections run, seen as a Lambda function sees
DynamoDB, SQS and Secrets Manager; each section makes its own tables in it. Measures nothing itself.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from functools import cache

from devtools import store
from devtools.template import Template

LAMBDA_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@cache
def start_local_store() -> None:
    """moto in this process (the first call starts it), quietly, with the template's secrets."""
    os.environ.update(LAMBDA_ENV)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server would log every request
    warnings.filterwarnings("ignore", "No application metrics to publish")  # metrics are disabled here
    store.start_moto(port=0)
    store.create_secrets(Template())


def use_new_tables(template: Template, function_id: str) -> None:
    """New tables and queues, named apart from every other section's, become the ones keytally uses: the function's
    template environment names them, and the section starts as a new container would, whatever ran before."""
    start_local_store()
    names = store.local_names(template, prefix=f"b{uuid.uuid4().hex[:8]}-")
    store.create_tables(template, names)
    store.create_queues(template, names)
    os.environ.update(template.function_environment(function_id, names))
    store.forget_container()
