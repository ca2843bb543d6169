"""RevocationWorkerFunction: revokes what secret detection's findings and GitHub's alerts queued, one
message at a time.

SQS event source with partial-batch responses: a message whose revoke hit a storage fault, or that
met its author's kill switch off, is reported as failed and comes back (after 5 receives, to the
dead-letter queue); every other message of the batch is done.
A refusal or a token no longer there is an outcome, not a failure.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token import budget
from admin_token.errors import FeatureDisabled
from admin_token.observability import logger, metrics
from admin_token.outcomes import FAILED, metric_name
from admin_token.revocation_queue import InvalidMessage, RevocationMessage
from admin_token.secret_detection import REVOCABLE_TYPES, revoke_queued

# A batch whose every message failed (the kill switch off holds them all) is answered as such, not
# raised: the messages come back just the same, without an invocation error per batch.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
KNOWN_TYPES = sorted(REVOCABLE_TYPES)  # what the POST queues, and nothing else


def handle_record(record: SQSRecord) -> str:
    try:
        message = RevocationMessage.parse(record.body, KNOWN_TYPES)
    except InvalidMessage as error:
        # Not ours to revoke, and no retry can fix it: failed, so it ends in the dead-letter
        # queue (and its alarm) for someone to look at. The body is never logged.
        logger.error("Unreadable revocation message", extra={"problem": str(error), "message_id": record.message_id})
        metrics.add_metric(name="RevocationMessageInvalid", unit=MetricUnit.Count, value=1)
        raise
    try:
        return revoke_queued(message, record.message_id)
    except FeatureDisabled:
        # The kill switch is off: the message comes back after the visibility timeout, or, after
        # 5 receives, waits in the dead-letter queue for a redrive (docs/contract.md). Not a failure.
        raise
    except Exception:
        # Any failure (in practice a storage fault): the message alone comes back (after 5
        # receives, to the dead-letter queue). Counted, so retries show before the alarm does.
        metrics.add_metric(name=metric_name("SecretDetection", FAILED), unit=MetricUnit.Count, value=1)
        raise


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    budget.start(context.get_remaining_time_in_millis())
    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    return dict(response)
