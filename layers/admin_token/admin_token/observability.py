"""The one place Powertools' logger and metrics are created; every module imports these.

No Powertools Tracer: with `Tracing: Active` Lambda itself records each invocation (init,
invocation, overhead) in X-Ray. The Tracer's import and its patching of botocore cost more of a
cold start than its per-call subsegments are worth here (docs/performance.md has the figures).
"""

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

logger = Logger()
metrics = Metrics()
