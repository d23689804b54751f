"""Customer directory import: platform staff create or update customer accounts from a file,
with the same reader and the same dry-run-then-confirm flow as batch linking.

Every field of CustomerAccount is validated per row; an empty cell keeps the current value (a
new account gets the field's default). A status change goes through `customer_set_status`,
so leaving `active` suspends the account's links exactly as a change in the admin does.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Site, User
from linking import identity
from linking.checks.accounts import parse_account_id
from linking.checks.bulk import chunks
from linking.checks.reasons import Reason, reason
from linking.models import CustomerAccount, DirectoryImport, Region
from linking.provenance import FactSource
from linking.services._common import _save
from linking.services.suspension import customer_set_status
from portal import tabular
from portal.errors import PortalError
from portal.identifiers import clean_identifier, visible

COLUMNS = [
    "account_id",
    "account_name",
    "display_name",
    "contact_email",
    "site",
    "status",
    "regions",
    "is_partner",
]
REQUIRED = ["account_id", "display_name"]
COLUMN_HELP = [
    (
        "account_id",
        "required",
        "The account id (domain id): 32 hexadecimal characters, case, dashes and spaces "
        "ignored; creates the account or updates the one with this id. In XLSX, a text cell.",
    ),
    (
        "account_name",
        "",
        "The name the customer signs in with, as the cloud spells it (empty: unchanged, or not "
        "known yet for a new account).",
    ),
    (
        "display_name",
        "required",
        "The account's name, at most 200 characters (empty on an update: unchanged).",
    ),
    ("contact_email", "", "Address for consent e-mails."),
    ("site", "", "intl or cn (default intl); an existing account never changes site."),
    ("status", "", "active, frozen, in_arrears or deregistered (default active)."),
    (
        "regions",
        "",
        "Enabled region codes of the account's site, separated by |; replaces the current set.",
    ),
    ("is_partner", "", "yes or no (default no)."),
]
TEMPLATE_ROWS = [
    [
        "0c5a2b7e9f1d4c3ab8e6d0f2a4c6e8b1",
        "acme-retail",
        "Acme Retail",
        "it@acme.example",
        "intl",
        "active",
        "ap-southeast-1|eu-west-101",
        "no",
    ],
]
MAX_NAME = 200
# The columns whose facts `linking.provenance` calls the details; written here, they say
# "per the staff import of <day>" until another source confirms them.
DETAIL_COLUMNS = {"account_name", "display_name", "contact_email"}
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0"}
FIELDS = [
    "account_name",
    "display_name",
    "contact_email",
    "site",
    "status",
    "regions",
    "is_partner",
]


def _choice(
    value: str, choices: list[tuple[str, str]], column: str, reasons: list[Reason]
) -> str | None:
    text = re.sub(r"[\s\-]+", "_", value.strip().lower())
    by_label = {label.lower().replace(" ", "_"): v for v, label in choices}
    if text in dict(choices):
        return text
    if text in by_label:
        return by_label[text]
    reasons.append(
        reason(
            "LNK-D005",
            column=column,
            value=value[:40],
            choices=", ".join(v for v, _ in choices),
        )
    )
    return None


def _row_changes(
    values: dict, current: CustomerAccount | None, regions_by_site: dict, reasons: list
) -> dict:
    """The validated new values of the row's non-empty cells."""
    new: dict = {}
    account_name, bad_name = identity.parse_account_name(values.get("account_name", ""))
    if bad_name:
        reasons.append(reason("LNK-D010", value=visible(values.get("account_name", ""), 80)))
    elif account_name:
        new["account_name"] = account_name
    name = values.get("display_name", "")
    if len(name) > MAX_NAME or (not name and current is None):
        reasons.append(reason("LNK-D003", max_length=MAX_NAME))
    elif name:
        new["display_name"] = name
    email = clean_identifier(values.get("contact_email", ""))
    if email:
        try:
            validate_email(email)
            if len(email) > 254:
                raise ValidationError("too long")
            new["contact_email"] = email
        except ValidationError:
            reasons.append(reason("LNK-D004", value=visible(email, 80)))
    site = current.site if current else Site.INTERNATIONAL
    if values.get("site"):
        chosen = _choice(values["site"], Site.choices, "site", reasons)
        if chosen and current is not None and chosen != current.site:
            reasons.append(
                reason(
                    "LNK-D009",
                    account_id=current.label,
                    current=current.get_site_display(),
                    value=values["site"][:20],
                )
            )
        elif chosen:
            site = new["site"] = chosen
    if values.get("status"):
        status = _choice(values["status"], CustomerAccount.Status.choices, "status", reasons)
        if status:
            new["status"] = status
    if values.get("regions"):
        codes = sorted({c for c in re.split(r"[|,;\s]+", values["regions"].lower()) if c})
        known = regions_by_site.get(site, {})
        for code in codes:
            if code not in known:
                label = Site(site).label if site in Site.values else site
                reasons.append(reason("LNK-D006", value=code[:40], site=label))
        new["regions"] = codes
    if values.get("is_partner"):
        flag = values["is_partner"].strip().lower()
        if flag in TRUE | FALSE:
            new["is_partner"] = flag in TRUE
        else:
            reasons.append(reason("LNK-D007", column="is_partner", value=values["is_partner"][:20]))
    return new


def _differences(current: CustomerAccount, new: dict, current_regions: list[str]) -> list[str]:
    changed = []
    for name, value in new.items():
        old = current_regions if name == "regions" else getattr(current, name)
        if old != value:
            changed.append(name)
    return changed


def _require_staff(actor: User) -> None:
    if not (
        actor.is_active
        and actor.is_staff
        and actor.has_perm("linking.add_customeraccount")
        and actor.has_perm("linking.change_customeraccount")
    ):
        raise PortalError(
            "LNK-V013", reseller="the platform", role="platform staff (change customer accounts)"
        )


def directory_check_rows(table: tabular.Table) -> list[dict]:
    """Every row validated against the directory as it is now: action, changes, reasons."""
    wanted = []
    parsed = []
    for row in table.rows:
        account_id, bad = parse_account_id(row.values.get("account_id", ""))
        if bad:
            bad = [reason("LNK-D001", value=visible(row.values.get("account_id", "")))]
        parsed.append((row, account_id, bad))
        if not bad:
            wanted.append(account_id)
    current: dict[str, CustomerAccount] = {}
    for chunk in chunks(sorted(set(wanted))):
        for account in CustomerAccount.objects.filter(account_id__in=chunk).prefetch_related(
            "regions"
        ):
            current[account.account_id] = account
    names = sorted(
        {identity.normalise_account_name(row.values.get("account_name", "")) for row in table.rows}
        - {""}
    )
    # Which account holds each name of the file now (no query when the file gives none).
    name_holders: dict[str, str] = {}
    for chunk in chunks(names):
        name_holders.update(
            CustomerAccount.objects.filter(account_name__in=chunk).values_list(
                "account_name", "account_id"
            )
        )
    first_name: dict[str, int] = {}
    regions_by_site: dict[str, set[str]] = {}
    for code, site in Region.objects.filter(is_active=True).values_list("code", "site"):
        regions_by_site.setdefault(site, set()).add(code)
    first: dict[str, int] = {}
    out = []
    for row, account_id, reasons in parsed:
        reasons = list(reasons)
        customer = current.get(account_id) if account_id else None
        if account_id in first:
            reasons.append(
                reason(
                    "LNK-D002",
                    account_id=identity.format_account_id(account_id),
                    other_row=first[account_id],
                )
            )
        elif account_id:
            first[account_id] = row.number
        new = _row_changes(row.values, customer, regions_by_site, reasons) if account_id else {}
        account_name = new.get("account_name", "")
        if account_name in first_name:
            reasons.append(
                reason("LNK-D011", account_name=account_name, other_row=first_name[account_name])
            )
        elif account_name:
            first_name[account_name] = row.number
            holder = name_holders.get(account_name)
            if holder and holder != account_id:
                reasons.append(
                    reason(
                        "LNK-D012",
                        account_name=account_name,
                        account_id=identity.format_account_id(holder),
                    )
                )
        if reasons:
            action, changed = "invalid", []
        elif customer is None:
            action, changed = "create", sorted(new)
        else:
            changed = _differences(customer, new, sorted(r.code for r in customer.regions.all()))
            action = "update" if changed else "unchanged"
        out.append(
            {
                "row": row.number,
                "account_id": account_id or visible(row.values.get("account_id", ""), 40),
                "account_name": account_name or (customer.account_name if customer else ""),
                "values": {k: new[k] for k in changed} if action != "invalid" else {},
                "action": action,
                "changed": changed,
                "reasons": [r.as_dict() for r in reasons],
                "outcome": "",
            }
        )
    return out


def _counts(rows: list[dict]) -> dict:
    return {
        "total_rows": len(rows),
        "invalid_rows": sum(r["action"] == "invalid" for r in rows),
        "to_create": sum(r["action"] == "create" for r in rows),
        "to_update": sum(r["action"] == "update" for r in rows),
        "unchanged": sum(r["action"] == "unchanged" for r in rows),
    }


def directory_import_upload(*, actor: User, file_name: str, data: bytes) -> DirectoryImport:
    """Read and check a directory file; store the report, change no account. Platform staff."""
    _require_staff(actor)
    table = tabular.read_table(data, filename=file_name, required=REQUIRED, known=COLUMNS)
    rows = directory_check_rows(table)
    imp = DirectoryImport(
        uploaded_by=actor,
        file_name=(file_name or "upload")[:200],
        sha256=table.sha256,
        warnings=[{"code": w.code, "message": w.message, "hint": w.hint} for w in table.warnings],
        rows=rows,
        **_counts(rows),
    )
    imp._history_user = actor
    imp._change_reason = f"uploaded {imp.file_name} and checked {len(rows)} rows"
    imp.save()
    return imp


def _apply_row(actor: User, imp: DirectoryImport, row: dict) -> str:
    reason = f"directory import {imp.reference} row {row['row']}"
    values = dict(row["values"])
    regions = values.pop("regions", None)
    status = values.pop("status", None)
    with transaction.atomic():
        customer = (
            CustomerAccount.objects.select_for_update().filter(account_id=row["account_id"]).first()
        )
        now = timezone.now()
        if customer is None:
            customer = CustomerAccount(account_id=row["account_id"], **values)
            if status:
                customer.status = status
            # A new account is what the file says of it, status included (default active).
            customer.status_source = customer.details_source = FactSource.STAFF_IMPORT
            customer.status_confirmed_at = customer.details_confirmed_at = now
            customer._history_user = actor
            customer._change_reason = reason
            customer.save()
            outcome = "created"
        else:
            for name, value in values.items():
                setattr(customer, name, value)
            fields = list(values)
            if DETAIL_COLUMNS & set(values):
                customer.details_source = FactSource.STAFF_IMPORT
                customer.details_confirmed_at = now
                fields += ["details_source", "details_confirmed_at"]
            if values:
                _save(customer, actor=actor, reason=reason, fields=fields)
            if status:
                customer_set_status(
                    actor=actor,
                    customer_id=customer.pk,
                    status=status,
                    reason=reason,
                    source=FactSource.STAFF_IMPORT,
                )
            outcome = "updated"
        if regions is not None:
            customer._history_user = actor
            customer._change_reason = reason
            customer.regions.set(Region.objects.filter(code__in=regions))
    return outcome


def directory_import_apply(*, actor: User, import_id: int) -> DirectoryImport:
    """Apply the rows the check found valid, each in its own transaction (an account created
    meanwhile is updated instead). Platform staff; an import is applied once, and applying the
    same file again finds its rows unchanged."""
    _require_staff(actor)
    with transaction.atomic():
        imp = DirectoryImport.objects.select_for_update().get(pk=import_id)
        if imp.status != DirectoryImport.Status.CHECKED:
            raise PortalError(
                "LNK-D008",
                reference=imp.reference,
                status=imp.get_status_display().lower(),
                action="applied",
            )
        imp.status = DirectoryImport.Status.APPLIED
        imp.applied_at = timezone.now()
        _save(imp, actor=actor, reason="confirmed: applying", fields=["status", "applied_at"])
    created = updated = 0
    for row in imp.rows:
        if row["action"] not in ("create", "update"):
            row["outcome"] = row["action"]
            continue
        try:
            row["outcome"] = _apply_row(actor, imp, row)
        except (PortalError, IntegrityError, ValueError) as error:
            row["outcome"] = "failed"
            row["reasons"] = [{"code": getattr(error, "code", ""), "message": str(error)}]
        created += row["outcome"] == "created"
        updated += row["outcome"] == "updated"
    imp.created_count, imp.updated_count = created, updated
    _save(
        imp,
        actor=actor,
        reason=f"applied: {created} created, {updated} updated",
        fields=["rows", "created_count", "updated_count"],
    )
    return imp
