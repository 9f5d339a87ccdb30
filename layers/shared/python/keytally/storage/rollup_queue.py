"""The rollup queue (SQS FIFO): one message per organization with rollup work due, for the rollup worker.

A message's group is its organization, so one organization's runs never overlap (a run moves the watermark its
successor starts from), while different organizations' run side by side. Its deduplication id is the organization
and due moment: a dispatcher that sends again after a crash sends nothing twice within SQS's five-minute window, and
a run repeated after that finds its work done.
"""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import AwareDatetime, BaseModel, Field

from keytally.settings import get_settings
from keytally.storage import sqs
from keytally.storage.dynamodb import stored_time

BATCH = 10  # SendMessageBatch's limit


class RollupDue(BaseModel):
    """A message's body."""

    org_slug: str = Field(min_length=1)
    due: AwareDatetime


def send(due: dict[str, datetime]) -> list[str]:
    """Sends one message per organization (slug -> due moment); returns the organizations whose message was not
    sent."""
    entries = [
        {
            "Id": str(number),
            "MessageBody": RollupDue(org_slug=org_slug, due=moment).model_dump_json(),
            "MessageGroupId": org_slug,
            "MessageDeduplicationId": f"{org_slug}#{stored_time(moment)}",
        }
        for number, (org_slug, moment) in enumerate(sorted(due.items()))
    ]
    unsent: list[str] = []
    for offset in range(0, len(entries), BATCH):
        batch = entries[offset : offset + BATCH]
        try:
            result = sqs.client().send_message_batch(QueueUrl=sqs.queue_url(get_settings().rollup_queue), Entries=batch)
        except (BotoCoreError, ClientError):
            unsent.extend(entry["MessageGroupId"] for entry in batch)
            continue
        failed = {failure["Id"] for failure in result.get("Failed", [])}
        unsent.extend(entry["MessageGroupId"] for entry in batch if entry["Id"] in failed)
    return unsent


def message_of(body: str) -> RollupDue:
    """A message's body (a pydantic ValidationError if it is not one of ours)."""
    return RollupDue.model_validate_json(body)
