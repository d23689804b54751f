"""Consent receipts: the canonical text of one decision of the customer and its content hash.

A receipt is rebuilt from the append-only `ConsentRecord` rows that share a `receipt_reference`
(one decision on a request, "RC-…", or one withdrawal of a link, "WD-…"). The text is plain,
line-based and fully determined by those rows and the catalog names, so the customer and the
reseller download the same bytes, and the last line, `Content hash: sha256:<hex>`, is the SHA-256
of everything above it: change one word and the hash no longer matches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q
from django.http import HttpResponse

from accounts.models import LinkType, Reseller
from linking.models import (
    AccessLevel,
    ConsentRecord,
    Region,
    Service,
    format_account_id,
)

HASH_PREFIX = "Content hash: sha256:"
MAX_REFERENCE_LENGTH = 40

_DECISION_WORDS: dict[str, str] = {
    ConsentRecord.Decision.ACCEPTED: "Accepted: granted as asked.",
    ConsentRecord.Decision.DECLINED: "Declined: nothing granted.",
    ConsentRecord.Decision.WITHDRAWN: "Withdrawn: the access granted earlier ends.",
}


@dataclass(frozen=True)
class Receipt:
    reference: str
    body: str
    content_hash: str
    records: tuple[ConsentRecord, ...]

    @property
    def text(self) -> str:
        return f"{self.body}{HASH_PREFIX}{self.content_hash}\n"

    @property
    def filename(self) -> str:
        return f"{self.reference}.txt"


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def receipt_verify(text: str) -> bool:
    """True when the hash line of a downloaded receipt matches the text above it."""
    body, sep, last = text.rstrip("\n").rpartition("\n")
    if not sep or not last.startswith(HASH_PREFIX):
        return False
    return content_hash(body + "\n") == last.removeprefix(HASH_PREFIX)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(codes: list[str], names: dict[str, str]) -> str:
    return ", ".join(f"{names[c]} ({c})" if c in names else c for c in codes) or "none"


def _scope_lines(record: ConsentRecord, service_names: dict, region_names: dict) -> list[str]:
    scope = record.scope or {}
    if record.link_type == LinkType.BILLING:
        return ["   Scope: the partner becomes the billing partner of the account."]
    lines = [
        f"   Services: {_names(scope.get('services') or [], service_names)}",
        f"   Regions: {_names(scope.get('regions') or [], region_names)}",
    ]
    level = scope.get("access_level") or ""
    if level:
        label = AccessLevel(level).label if level in AccessLevel.values else level
        lines.append(f"   Access level: {label}")
    days = scope.get("duration_days")
    if days:
        lines.append(f"   Duration: {days} day{'s' if days != 1 else ''}")
    if scope.get("ends_at"):
        lines.append(f"   Ends at (UTC): {_utc(datetime.fromisoformat(scope['ends_at']))}")
    return lines


def _body(reference: str, records: list[ConsentRecord]) -> str:
    first = records[0]
    holder = first.request or first.link
    # Consent is given on a request whose customer is chosen, or withdrawn from a link.
    if holder is None or holder.customer is None:
        raise ValueError(f"Consent record {first.pk} names no customer.")
    reseller, customer = holder.reseller, holder.customer
    codes = {c for r in records for c in (r.scope or {}).get("services") or []}
    region_codes = {c for r in records for c in (r.scope or {}).get("regions") or []}
    service_names = dict(Service.objects.filter(code__in=codes).values_list("code", "name"))
    region_names = dict(Region.objects.filter(code__in=region_codes).values_list("code", "name"))
    withdrawal = first.decision == ConsentRecord.Decision.WITHDRAWN
    lines = [
        "Consent receipt" if not withdrawal else "Receipt of a withdrawal of consent",
        f"Reference: {reference}",
        f"Partner: {reseller.name} (partner id {reseller.partner_id})",
        f"Customer account: {customer.display_name} (account id "
        f"{format_account_id(customer.account_id)}"
        + (f", account name {customer.account_name})" if customer.account_name else ")"),
    ]
    if first.request is not None:
        lines.append(f"Request: {first.request.reference}")
    if first.link is not None:
        lines.append(f"Link: {first.link.reference}")
    lines += [
        f"Decided at (UTC): {_utc(first.created_at)}",
        f"Decided by: {first.contact_email}",
        f"Network address: {first.ip_address or 'not recorded'}",
        f"Consent text version: {first.text_version}",
        "",
        "What was asked and decided:",
    ]
    for number, record in enumerate(records, start=1):
        type_label = (
            LinkType(record.link_type).label
            if record.link_type in LinkType.values
            else record.link_type
        )
        lines.append(f"{number}. {type_label}")
        lines += _scope_lines(record, service_names, region_names)
        lines.append(f"   Decision: {_DECISION_WORDS.get(record.decision, record.decision)}")
        if record.reason:
            # One line per line of the reason, so a newline in it cannot forge a field.
            lines += [f"   Reason: {part}" for part in record.reason.splitlines() or [""]]
        if _utc(record.created_at) != _utc(first.created_at):
            lines.append(f"   Recorded at (UTC): {_utc(record.created_at)}")
    return "\n".join(lines) + "\n"


def receipt_for(reference: str, *, reseller: Reseller | None = None) -> Receipt | None:
    """The receipt of one decision or withdrawal; None when no rows (of `reseller`) carry it."""
    # A reference typed into a URL can hold anything; NUL would be a database error, not a 404.
    if not reference or len(reference) > MAX_REFERENCE_LENGTH or not reference.isprintable():
        return None
    qs = ConsentRecord.objects.filter(receipt_reference=reference)
    if reseller is not None:
        qs = qs.filter(Q(request__reseller=reseller) | Q(link__reseller=reseller))
    records = list(
        qs.select_related(
            "request__reseller", "request__customer", "link__reseller", "link__customer"
        ).order_by("created_at", "id")
    )
    if not records:
        return None
    return receipt_build(reference, records)


def receipt_build(reference: str, records: list[ConsentRecord]) -> Receipt:
    """The receipt of the given rows of one decision, oldest first; two catalog queries."""
    body = _body(reference, records)
    return Receipt(
        reference=reference, body=body, content_hash=content_hash(body), records=tuple(records)
    )


def receipt_response(receipt: Receipt) -> HttpResponse:
    """The receipt as a plain-text attachment, the same bytes for the customer and the reseller."""
    response = HttpResponse(receipt.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{receipt.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
