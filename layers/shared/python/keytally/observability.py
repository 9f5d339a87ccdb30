"""The Powertools Logger and Metrics every function shares (configured by POWERTOOLS_* variables).

No tracer in the code: traces come from OpenTelemetry, zero-code, when the stack's `Tracing` is Active (the AWS
Distro for OpenTelemetry layer wraps the runtime and instruments botocore and the handler). The X-Ray SDK that
Powertools' Tracer wraps is in maintenance and reaches its end of support on 2027-02-25, and every cold start
imported it, tracing on or off (3% of a handler's instructions; docs/observability.md).

Most calls publish no metric of their own (metrics count exceptions, like lost usage events), so Powertools'
warning about an invocation without metrics would be noise on every call, in CloudWatch and locally alike.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics

warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
metrics = Metrics()
