"""The Powertools Logger, Tracer and Metrics every function shares (configured by POWERTOOLS_* variables).

The tracer patches botocore alone (DynamoDB, SQS, Secrets Manager): patching every library the X-Ray SDK knows
would import the ones keytally never calls (sqlite3, requests, database drivers) at every cold start.

Most calls publish no metric of their own (metrics count exceptions, like lost usage events), so Powertools'
warning about an invocation without metrics would be noise on every call, in CloudWatch and locally alike.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))  # every call keytally makes goes through botocore: patch nothing else
metrics = Metrics()
