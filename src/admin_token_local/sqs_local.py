"""The local SQS: the template's queues in the embedded moto, created with their attributes and redrive.

moto implements `RedrivePolicy` (a message received more than `maxReceiveCount` times moves to the
dead-letter queue) and visibility timeouts, so the local queue fails and redrives as SQS does:
nothing is added to its behaviour. `moto_speedups` keeps it fast under a flood.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import boto3

from admin_token_local.template import PSEUDO_PARAMETERS, Template

QUEUE_TYPE = "AWS::SQS::Queue"
# Queue properties that are CreateQueue attributes under the same name.
_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")


class QueueSource(NamedTuple):
    """One SQS event of a function: which queue feeds it, how many messages at once."""

    function_id: str
    queue_id: str
    batch_size: int
    partial_failures: bool


def sqs_client(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name=PSEUDO_PARAMETERS["AWS::Region"])


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{PSEUDO_PARAMETERS['AWS::Region']}:{PSEUDO_PARAMETERS['AWS::AccountId']}:{name}"


def create_queues(endpoint: str, template: Template, prefix: str = "") -> dict[str, str]:
    """Create every queue of the template (dead-letter queues first); logical id -> queue URL.

    A queue is named `prefix` + its logical id, which is what a `!Ref` to it resolves to locally.
    """
    client = sqs_client(endpoint)
    queues = {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") == QUEUE_TYPE
    }
    # Queues without a redrive policy first: those with one name them by ARN.
    order = sorted(queues, key=lambda logical_id: "RedrivePolicy" in queues[logical_id])
    urls: dict[str, str] = {}
    for logical_id in order:
        properties = queues[logical_id]
        attributes = {name: str(properties[name]) for name in _ATTRIBUTES if name in properties}
        redrive = properties.get("RedrivePolicy")
        if isinstance(redrive, dict):
            target = redrive["deadLetterTargetArn"]
            target_id = target["Fn::GetAtt"][0] if isinstance(target, dict) else str(target)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(prefix + target_id), "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        urls[logical_id] = client.create_queue(QueueName=prefix + logical_id, Attributes=attributes)["QueueUrl"]
    return urls


def queue_sources(template: Template) -> list[QueueSource]:
    """Every SQS event of every function, as Lambda's event source mappings would poll them."""
    sources = []
    for function_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if not isinstance(event, dict) or event.get("Type") != "SQS":
                continue
            properties = event.get("Properties") or {}
            queue = properties.get("Queue")
            queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
            partial = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
            sources.append(QueueSource(function_id, queue_id, int(properties.get("BatchSize", 10)), partial))
    return sources
