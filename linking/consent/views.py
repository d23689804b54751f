"""The customer's consent pages: reached by a signed link in an e-mail, no portal login.

A GET only shows what is asked; the decision is a POST through `consent_decide`. Accepting
manage access or a sensitive service also needs a code e-mailed to the contact address (a POST
with `send_code` asks for it, keeping the choices made so far on the page).
A link that does not open a request (unknown, tampered, expired, used, withdrawn) shows the
reason and nothing about any request, so a guessed or forwarded link leaks nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import LinkType
from linking import wording
from linking.cloud.setup_formats import terraform, terraform_filename
from linking.consent import receipts
from linking.consent.forms import ConsentForm
from linking.consent.services import (
    consent_code_send,
    consent_decide,
    consent_resolve,
    item_needs_confirmation,
)
from linking.consent.setup import has_terraform, receipt_sandbox_console, receipt_setup
from linking.models import (
    AccessLevel,
    ConsentRecord,
    LinkRequest,
    Region,
    RequestItem,
    Service,
)
from linking.services.links import TEAM_LINK_TYPES
from portal.dates import local_day
from portal.errors import PortalError
from portal.security import client_ip, token_page_limited

RECEIPT_SALT = "linking.consent.receipt"
RECEIPT_MAX_AGE = timedelta(days=30)
# Real tokens are ~130 characters; anything far longer is not worth unsigning.
MAX_TOKEN_LENGTH = 1000

# Unknown or tampered links are "not found"; expired, used or withdrawn ones are "gone".
_ERROR_STATUS = {
    "LNK-C001": 404,
    "LNK-C002": 410,
    "LNK-C003": 410,
    "LNK-C004": 410,
    "LNK-C008": 410,
}
# The receipts this browser's decisions produced, by request: a stale tab of the same browser
# is shown its receipt. Another browser holding the link only reads that a decision exists.
_SESSION_RECEIPTS = "consent_receipts"
_FORM_ERRORS = {"LNK-C006"}
# A decision that needs a code and did not get a good one: the page stays, choices kept.
CODE_ERRORS = {"CUS-C001", "CUS-C002", "CUS-C003", "CUS-C004"}


def receipt_sign(receipt_reference: str) -> str:
    return signing.TimestampSigner(salt=RECEIPT_SALT).sign(receipt_reference)


def _receipt_unsign(signed: str) -> str:
    """The receipt reference of a signed receipt link; "" when tampered, too long or too old."""
    if len(signed) > MAX_TOKEN_LENGTH:
        return ""
    try:
        return signing.TimestampSigner(salt=RECEIPT_SALT).unsign(signed, max_age=RECEIPT_MAX_AGE)
    except signing.BadSignature:
        return ""


def _catalog() -> tuple[dict[str, Service], dict[str, str]]:
    services_by_code = {s.code: s for s in Service.objects.all()}
    region_names = dict(Region.objects.values_list("code", "name"))
    return services_by_code, region_names


def _scope(
    *,
    link_type: str,
    services_codes: list[str],
    regions: list[str],
    access_level: str,
    duration_days: int | None,
    start: datetime,
    catalog: tuple[dict[str, Service], dict[str, str]],
) -> dict:
    """One item's scope, in the words the templates turn into plain sentences."""
    by_code, region_names = catalog
    svc = [
        {
            "code": code,
            "name": by_code[code].name if code in by_code else code,
            "sensitive": code in by_code and by_code[code].sensitive,
        }
        for code in services_codes or []
    ]
    return {
        "link_type": link_type,
        "type_label": LinkType(link_type).label if link_type in LinkType.values else link_type,
        "services": svc,
        "has_sensitive": any(s["sensitive"] for s in svc),
        "regions": wording.regions_in_words(regions, region_names),
        "regions_in_words": wording.named(wording.regions_in_words(regions, region_names)),
        "access_level": access_level,
        "is_manage": access_level == AccessLevel.MANAGE,
        "duration_days": duration_days,
        "ends_on": start + timedelta(days=duration_days) if duration_days else None,
    }


def _error_page(request: HttpRequest, exc: PortalError) -> HttpResponse:
    receipt = None
    if exc.code == "LNK-C008":
        receipt = request.session.get(_SESSION_RECEIPTS, {}).get(str(exc.params["request_id"]))
    return render(
        request,
        "consent/consent_error.html",
        {"error": exc, "receipt_signed": receipt},
        status=_ERROR_STATUS.get(exc.code, 404),
    )


def _remember_receipt(request: HttpRequest, request_id: int, signed: str) -> None:
    receipts_seen = dict(list(request.session.get(_SESSION_RECEIPTS, {}).items())[-9:])
    receipts_seen[str(request_id)] = signed
    request.session[_SESSION_RECEIPTS] = receipts_seen


def _user_agent(request: HttpRequest) -> str:
    """The browser's User-Agent for the evidence: printable characters only (a NUL is a
    database error on PostgreSQL), at most the 300 characters the record keeps."""
    raw = request.META.get("HTTP_USER_AGENT", "")
    return "".join(c for c in raw[:1000] if c.isprintable())[:300]


def _client_ip(request: HttpRequest) -> str | None:
    return client_ip(request)


def _code_client(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def centre_accounts_of(request: HttpRequest) -> list[int] | None:
    """The account ids this browser is signed in to the customer centre for, or None."""
    from linking.centre.views import customer_of

    customer = customer_of(request)
    return customer["accounts"] if customer else None


def _code_box(*, purpose: str, centre_confirmed: bool, sent_to: str, error) -> dict:
    """What the "confirm with a code" box of the consent and withdrawal pages shows."""
    return {
        "code_purpose": purpose,
        "centre_confirmed": centre_confirmed,
        "code_sent_to": sent_to,
        "code_error": error,
    }


def _code_status(error: PortalError | None) -> int | None:
    if error is None:
        return None
    return 429 if error.code in ("CUS-C003", "CUS-C004") else 400


def rate_limited(request: HttpRequest, *, scope: str, token: str) -> HttpResponse | None:
    """The 429 page when the address or the token is over its rate; it names nothing."""
    if not token_page_limited(request, scope=scope, token=token):
        return None
    response = render(
        request, "consent/consent_error.html", {"error": PortalError("ACC-S002")}, status=429
    )
    response["Retry-After"] = "600"
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def consent_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the customer what the partner asks for; on POST, record their decision."""
    if limited := rate_limited(request, scope="consent", token=token):
        return limited
    if len(token) > MAX_TOKEN_LENGTH:
        return _error_page(request, PortalError("LNK-C001"))
    try:
        req = consent_resolve(token)
    except PortalError as exc:
        return _error_page(request, exc)

    centre_accounts = centre_accounts_of(request)

    def decide(form: ConsentForm) -> str:
        _, receipt = consent_decide(
            token=token,
            decisions=form.decisions(),
            code=form.code(),
            client=_code_client(request),
            centre_accounts=centre_accounts,
            ip_address=_client_ip(request),
            user_agent=_user_agent(request),
        )
        return receipt

    return consent_form_page(
        request,
        req,
        decide=decide,
        send_code=lambda: consent_code_send(token=token, client=_code_client(request)),
        centre_confirmed=bool(centre_accounts and req.customer_id in centre_accounts),
    )


def consent_form_page(
    request: HttpRequest,
    req: LinkRequest,
    *,
    decide: Callable[[ConsentForm], str],
    send_code: Callable[[], str] | None = None,
    centre_confirmed: bool = False,
    extra: dict | None = None,
) -> HttpResponse:
    """What is asked and the decision form of a request waiting for the customer; on a valid
    POST, `decide(form)` records the decision (the consent link's or the centre's service) and
    the customer is sent to the receipt. The consent link's page and the centre's: by the link,
    accepting what needs it asks for a code `send_code` e-mails; in the centre (or by the link
    with a centre session for the account) the session confirms the customer."""
    items = list(req.items.all())
    catalog = _catalog()
    sensitive = {code for code, svc in catalog[0].items() if svc.sensitive}
    needs_confirmation = any(item_needs_confirmation(i, sensitive) for i in items)
    form_error: PortalError | None = None
    code_error: PortalError | None = None
    code_sent_to = ""
    missing: set[int] = set()
    if request.method == "POST":
        form = ConsentForm(request.POST, items=items, needs_confirmation=needs_confirmation)
        if needs_confirmation and send_code is not None and "send_code" in request.POST:
            # Nothing is decided; the bound form shows the choices made so far, unchanged.
            try:
                code_sent_to = send_code()
            except PortalError as exc:
                code_error = exc
        elif form.is_valid():
            decisions = form.decisions()
            try:
                receipt = decide(form)
            except PortalError as exc:
                if exc.code in CODE_ERRORS:
                    code_error = exc
                elif exc.code not in _FORM_ERRORS:
                    return _error_page(request, exc)
                else:
                    form_error = exc
                    missing = {i.pk for i in items if i.pk not in decisions}
            else:
                signed = receipt_sign(receipt)
                _remember_receipt(request, req.pk, signed)
                return redirect("consent:receipt", signed=signed)
    else:
        form = ConsentForm(items=items, needs_confirmation=needs_confirmation)
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {
            "item": item,
            "scope": _scope(
                link_type=item.link_type,
                services_codes=item.services,
                regions=item.regions,
                access_level=item.access_level,
                duration_days=item.duration_days,
                start=now,
                catalog=catalog,
            ),
            "needs_confirmation": item_needs_confirmation(item, sensitive),
            "decision": form.decision_field(item),
            "reason": form.reason_field(item),
            "missing": item.pk in missing,
        }
        for item in items
    ]
    return render(
        request,
        "consent/consent_page.html",
        {
            "req": req,
            "reseller": req.reseller,
            "customer": req.customer,
            "rows": rows,
            "form": form,
            "form_error": form_error,
            "needs_confirmation": needs_confirmation,
            "any_sensitive": any(r["scope"]["has_sensitive"] for r in rows),
            **_code_box(
                purpose="consent",
                centre_confirmed=centre_confirmed,
                sent_to=code_sent_to,
                error=code_error,
            ),
            **(extra or {}),
            "takes_teams": any(item.link_type in TEAM_LINK_TYPES for item in items),
            "teams": list(req.teams.prefetch_related("members__user")),
        },
        status=_code_status(code_error) or (400 if form_error or form.errors else 200),
    )


def _receipt_records(reference: str) -> tuple[LinkRequest, list[ConsentRecord]] | None:
    """The request and the records of a decision's receipt; None when there is none."""
    if not reference:
        return None
    records = list(
        ConsentRecord.objects.filter(receipt_reference=reference).select_related(
            "request__reseller", "request__customer"
        )
    )
    # Receipts are signed for decisions on a request only; a withdrawal's has none.
    if not records or records[0].request is None:
        return None
    return records[0].request, records


@login_not_required
@never_cache
@require_http_methods(["GET"])
def consent_receipt(request: HttpRequest, signed: str) -> HttpResponse:
    """The customer's receipt: what they decided on each item, by a signed reference."""
    from linking.services.verification import links_awaiting_setup_of_receipt

    if limited := rate_limited(request, scope="receipt", token=signed):
        return limited
    reference = _receipt_unsign(signed)
    found = _receipt_records(reference)
    if found is None:
        return render(request, "consent/consent_receipt_missing.html", status=404)
    req, records = found
    first = records[0]
    catalog = _catalog()
    rows = [
        {
            "record": record,
            "accepted": record.decision == RequestItem.Decision.ACCEPTED,
            "scope": _scope(
                link_type=record.link_type,
                services_codes=record.scope.get("services") or [],
                regions=record.scope.get("regions") or [],
                access_level=record.scope.get("access_level") or "",
                duration_days=record.scope.get("duration_days"),
                start=record.created_at,
                catalog=catalog,
            ),
        }
        for record in records
    ]
    setup_rows = receipt_setup(req, records, region_names=catalog[1], now=timezone.now())
    return render(
        request,
        "consent/consent_receipt.html",
        {
            "setup_rows": setup_rows,
            "has_terraform": has_terraform(setup_rows),
            "sandbox_console": receipt_sandbox_console(setup_rows),
            "reference": reference,
            "signed": signed,
            "req": req,
            "reseller": req.reseller,
            "customer": req.customer,
            "decided_at": first.created_at,
            "contact_email": first.contact_email,
            "rows": rows,
            # What the receipt e-mail says too: it carries a withdrawal link per accepted item.
            "awaiting_setup": links_awaiting_setup_of_receipt(reference),
            "checking": request.GET.get("checking") == "1",
            "withdrawal_note": wording.withdrawal_note(
                reseller_name=req.reseller.name, self_service=True
            )
            if any(row["accepted"] for row in rows)
            else "",
        },
    )


@login_not_required
@never_cache
@require_http_methods(["POST"])
def consent_setup_done(request: HttpRequest, signed: str) -> HttpResponse:
    """The customer says the cloud-side setup is done: the links of the receipt that await it
    are checked at once. Scoped by the receipt's signed link, CSRF-protected, rate-limited."""
    from linking.services.verification import link_setup_check_now

    if limited := rate_limited(request, scope="setup-done", token=signed):
        return limited
    reference = _receipt_unsign(signed)
    if not reference:
        return render(request, "consent/consent_receipt_missing.html", status=404)
    link_setup_check_now(receipt_reference=reference)
    return redirect(reverse("consent:receipt", args=[signed]) + "?checking=1")


@login_not_required
@never_cache
@require_http_methods(["GET"])
def consent_receipt_download(request: HttpRequest, signed: str) -> HttpResponse:
    """The customer's receipt as a text file with its content hash, by the same signed link."""
    if limited := rate_limited(request, scope="receipt", token=signed):
        return limited
    receipt = receipts.receipt_for(_receipt_unsign(signed))
    if receipt is None:
        return render(request, "consent/consent_receipt_missing.html", status=404)
    return receipts.receipt_response(receipt)


@login_not_required
@never_cache
@require_http_methods(["GET"])
def consent_receipt_terraform(request: HttpRequest, signed: str) -> HttpResponse:
    """The agencies of the receipt's accepted items as a Terraform file, by the same link."""
    if limited := rate_limited(request, scope="receipt", token=signed):
        return limited
    reference = _receipt_unsign(signed)
    found = _receipt_records(reference)
    if found is None:
        return render(request, "consent/consent_receipt_missing.html", status=404)
    req, records = found
    region_names = dict(Region.objects.values_list("code", "name"))
    rows = receipt_setup(req, records, region_names=region_names, now=timezone.now())
    if not has_terraform(rows):
        return render(request, "consent/consent_receipt_missing.html", status=404)
    text = terraform(
        [row.setup for row in rows],
        title=f"Agencies for {req.reseller.name} ({req.reseller.partner_id}), receipt "
        f"{reference}, made {local_day(timezone.now())}",
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{terraform_filename(reference)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
