"""Customers, catalogs, link requests, links, consent evidence and the notification outbox.

One module per concern; every model is importable from `linking.models` as before. The
request's state machine is drawn in `linking.models.requests`, the link's in
`linking.models.links`.
"""

from linking.models.batches import BATCH_KEY_MAX, Batch, BatchRow, DirectoryImport
from linking.models.catalog import AccessLevel, Region, Service
from linking.models.centre import CustomerSignInCode
from linking.models.consent import ConsentRecord
from linking.models.directory import (
    ACCOUNT_ID_RE,
    CustomerAccount,
    CustomerAccountGroupObjectPermission,
    CustomerAccountUserObjectPermission,
    format_account_id,
    normalise_account_id,
)
from linking.models.links import CleanupStatus, Link, VerificationRun, VerificationStatus
from linking.models.outbox import Notification
from linking.models.presets import Preset
from linking.models.requests import LinkRequest, Refusal, RequestItem
from linking.models.scope import LinkScopeSchedule, LinkScopeSnapshot

# isort: split
# The cloud connection lives in its own module; importing it registers it in this app.
from linking.cloud.models import CloudAssociation, CloudConnection
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ACCOUNT_ID_RE",
    "BATCH_KEY_MAX",
    "AccessLevel",
    "Batch",
    "BatchRow",
    "CleanupStatus",
    "CloudAssociation",
    "CloudConnection",
    "ConsentRecord",
    "CustomerAccount",
    "CustomerAccountGroupObjectPermission",
    "CustomerAccountUserObjectPermission",
    "CustomerSignInCode",
    "DirectoryImport",
    "Link",
    "LinkRequest",
    "LinkScopeSchedule",
    "LinkScopeSnapshot",
    "Notification",
    "Preset",
    "Refusal",
    "Region",
    "RequestItem",
    "Service",
    "VerificationRun",
    "VerificationStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "format_account_id",
    "normalise_account_id",
]
