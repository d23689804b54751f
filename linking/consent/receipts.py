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

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import LinkType, Reseller
from linking.models import (
    AccessLevel,
    ConsentRecord,
    Region,
    Service,
    format_account_id,
)

# Machine-read by receipt_verify: the same in every language.
HASH_PREFIX = "Content hash: sha256:"
MAX_REFERENCE_LENGTH = 40

_DECISION_WORDS: dict[str, object] = {
    ConsentRecord.Decision.ACCEPTED: gettext_lazy("Accepted: granted as asked."),
    ConsentRecord.Decision.DECLINED: gettext_lazy("Declined: nothing granted."),
    ConsentRecord.Decision.WITHDRAWN: gettext_lazy("Withdrawn: the access granted earlier ends."),
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
    return ", ".join(f"{names[c]} ({c})" if c in names else c for c in codes) or _("none")


def _scope_lines(record: ConsentRecord, service_names: dict, region_names: dict) -> list[str]:
    scope = record.scope or {}
    if record.link_type == LinkType.BILLING:
        return ["   " + _("Scope: the partner becomes the billing partner of the account.")]
    lines = [
        "   " + _("Services: %s") % _names(scope.get("services") or [], service_names),
        "   " + _("Regions: %s") % _names(scope.get("regions") or [], region_names),
    ]
    level = scope.get("access_level") or ""
    if level:
        label = AccessLevel(level).label if level in AccessLevel.values else level
        lines.append("   " + _("Access level: %s") % label)
    days = scope.get("duration_days")
    if days:
        duration = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
        lines.append("   " + _("Duration: %s") % duration)
    if scope.get("ends_at"):
        ends_at = _utc(datetime.fromisoformat(scope["ends_at"]))
        lines.append("   " + _("Ends at (UTC): %s") % ends_at)
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
    account = {
        "name": customer.display_name,
        "id": format_account_id(customer.account_id),
        "account_name": customer.account_name,
    }
    lines = [
        _("Consent receipt") if not withdrawal else _("Receipt of a withdrawal of consent"),
        _("Reference: %s") % reference,
        _("Partner: %(name)s (partner id %(partner_id)s)")
        % {"name": reseller.name, "partner_id": reseller.partner_id},
        _("Customer account: %(name)s (account id %(id)s, account name %(account_name)s)") % account
        if customer.account_name
        else _("Customer account: %(name)s (account id %(id)s)") % account,
    ]
    if first.request is not None:
        lines.append(_("Request: %s") % first.request.reference)
    if first.link is not None:
        lines.append(_("Link: %s") % first.link.reference)
    lines += [
        _("Decided at (UTC): %s") % _utc(first.created_at),
        _("Decided by: %s") % first.contact_email,
        _("Network address: %s") % (first.ip_address or _("not recorded")),
        _("Consent text version: %s") % first.text_version,
        "",
        _("What was asked and decided:"),
    ]
    for number, record in enumerate(records, start=1):
        type_label = (
            LinkType(record.link_type).label
            if record.link_type in LinkType.values
            else record.link_type
        )
        lines.append(f"{number}. {type_label}")
        lines += _scope_lines(record, service_names, region_names)
        decision = str(
            _DECISION_WORDS.get(ConsentRecord.Decision(record.decision), record.decision)
        )
        lines.append("   " + _("Decision: %s") % decision)
        if record.reason:
            # One line per line of the reason, so a newline in it cannot forge a field.
            lines += ["   " + _("Reason: %s") % part for part in record.reason.splitlines() or [""]]
        if _utc(record.created_at) != _utc(first.created_at):
            lines.append("   " + _("Recorded at (UTC): %s") % _utc(record.created_at))
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
    """The receipt of the given rows of one decision, oldest first; two catalog queries.

    Written in the customer contact's language, for the customer and the reseller alike: the
    same bytes, so the same content hash, whoever downloads it."""
    holder = records[0].request or records[0].link
    customer = holder.customer if holder is not None else None
    language = (customer.contact_language if customer is not None else "") or settings.LANGUAGE_CODE
    with translation.override(language):
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
