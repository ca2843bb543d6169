"""The one place Powertools' logger and metrics are created; every module imports these.

Lambda's own X-Ray tracing (`Tracing: Active`) covers each invocation; a Tracer's per-call
subsegments are not worth its cold-start cost (docs/performance.md).
"""

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

logger = Logger()
metrics = Metrics()
