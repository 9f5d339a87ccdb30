"""The Powertools Logger, Tracer and Metrics every function shares (configured by POWERTOOLS_* variables).

Most calls publish no metric of their own (metrics count exceptions, like lost usage events), so Powertools'
warning about an invocation without metrics would be noise on every call, in CloudWatch and locally alike.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
