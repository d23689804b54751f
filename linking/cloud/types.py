"""What the provider layer answers: plain values, and typed failures that carry a portal code.

A failure is a `PortalError`, so a task can record its code, stage, message and hint as they are;
the HTTP status, the cloud's own error code and its request id travel alongside for support.
Nothing here holds a long-lived secret; temporary credentials hide their secret parts from repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from portal.codes import CODES
from portal.errors import PortalError

# The BSS API stores the association type as a string: the SDK documents 1 (consultative
# sales) and 3 (resale), the API reference 1 and 2. It is kept as the cloud sent it; only the
# label shown to a person is looked up, and an unknown value still shows.
ASSOCIATION_LABELS = {"1": "consultative sales", "2": "resale", "3": "resale"}

# verified_status of a customer: the cloud's real-name verification states.
VERIFIED_LABELS = {
    "-1": "not verified",
    "0": "verification in review",
    "1": "verification rejected",
    "2": "verified",
    "3": "verification failed",
}


def association_label(value: str) -> str:
    return ASSOCIATION_LABELS.get(value, f"type {value}")


@dataclass(frozen=True)
class SubCustomer:
    """A customer account associated with the partner, as the partner API reports it."""

    domain_id: str
    account_name: str
    display_name: str
    association_type: str
    associated_at: datetime | None
    frozen: bool
    verified_status: str
    contact_email: str

    @property
    def verified(self) -> bool:
        return self.verified_status == "2"


@dataclass(frozen=True)
class SubCustomerPage:
    items: tuple[SubCustomer, ...]
    total: int
    offset: int


@dataclass(frozen=True)
class TemporaryCredentials:
    """Keys from assuming a customer's agency; valid until `expires_at`."""

    access: str
    secret: str = field(repr=False)
    security_token: str = field(repr=False)
    expires_at: datetime
    customer_domain_id: str
    agency_name: str


@dataclass(frozen=True)
class CloudServer:
    """One ECS server as a read through an agency reports it."""

    id: str
    name: str
    status: str
    flavor: str


@dataclass(frozen=True)
class ServerPage:
    """A first page of a project's servers, and how many the cloud says there are in all."""

    items: tuple[CloudServer, ...]
    total: int


@dataclass(frozen=True)
class CustomerBudget:
    """What the partner API reports of an associated customer's money this month: the
    budget the partner gives it, how much of it is used (the month's spend), the currency."""

    amount: Decimal
    used: Decimal
    currency: str
    budget_type: str

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.used


@dataclass(frozen=True)
class CloudProject:
    id: str
    name: str


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


class CloudError(PortalError):
    """A call to the cloud failed; `code` says which entry of the catalogue explains it."""

    default_code = "LNK-N005"

    def __init__(
        self,
        operation: str,
        *,
        code: str | None = None,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        **params,
    ):
        self.operation = operation
        self.status = status
        self.error_code = error_code or ""
        self.request_id = request_id or ""
        code = code or self.default_code
        entry = CODES[code]
        values = _Blank(operation=operation, detail=self._detail(), **params)
        # A failure may be raised where some words of its message are unknown (the agency of
        # a bare project call): a gap reads "?" rather than turning a failure into a crash.
        super().__init__(
            code,
            entry.message.format_map(values),
            entry.hint.format_map(values),
            **params,
        )

    def __reduce__(self):
        # Celery and the cache carry failures between processes: rebuilt from what they hold,
        # not from the finished message.
        state = {
            "code": self.code,
            "status": self.status,
            "error_code": self.error_code,
            "request_id": self.request_id,
            **self.params,
        }
        if isinstance(self, Throttled):
            state["retry_after"] = self.retry_after
        return (_rebuild, (type(self), self.operation, state))

    def _detail(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "", self.error_code]
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return ", ".join(p for p in parts if p) or "no answer"


def _rebuild(cls: type[CloudError], operation: str, state: dict) -> CloudError:
    return cls(operation, **state)


class Unreachable(CloudError):
    default_code = "LNK-N001"


class Throttled(CloudError):
    default_code = "LNK-N002"

    def __init__(self, operation: str, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(operation, **kwargs)


class CredentialsRefused(CloudError):
    default_code = "LNK-N003"


class NotFound(CloudError):
    default_code = "LNK-G001"


class AccessDenied(CloudError):
    default_code = "LNK-N004"


class CloudFailure(CloudError):
    default_code = "LNK-N005"


class CloudCallInTransaction(RuntimeError):
    """A programming error: a cloud call was made while a database transaction was open."""
