"""The one place Powertools' logger, tracer and metrics are created; every module imports these."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
