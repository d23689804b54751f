"""The cloud-side setup of a receipt's accepted items, read for the receipt page and e-mail.

Reads the reseller's cloud connection and the links the decision made (two queries), and hands
them to the pure derivation in `linking.cloud.setup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import Reseller
from linking.cloud.models import CloudConnection
from linking.cloud.setup import (
    ConsentedItem,
    ItemCleanup,
    ItemSetup,
    PartnerAccount,
    Step,
    cleanup_steps,
    derive_cleanup,
    derive_setup,
    setup_steps,
)
from linking.cloud.setup_formats import (
    agency_setups,
    cli_commands,
    cli_delete_commands,
    terraform_cleanup,
)
from linking.models import ConsentRecord, Link, LinkRequest
from portal.dates import local_moment


@dataclass(frozen=True)
class SetupRow:
    record: ConsentRecord
    setup: ItemSetup
    steps: tuple[Step, ...]
    cli: str


def partner_account(reseller: Reseller) -> PartnerAccount | None:
    """The partner side of the setup from the reseller's connection; None without one."""
    connection = (
        CloudConnection.objects.filter(reseller=reseller)
        .only("partner_account_name", "partner_domain_id", "invitation_url", "iam_endpoint")
        .first()
    )
    if connection is None:
        return None
    return PartnerAccount(
        partner_id=reseller.partner_id,
        partner_name=reseller.name,
        domain_name=connection.partner_account_name,
        domain_id=connection.partner_domain_id,
        invitation_url=connection.invitation_url,
        sandbox_console_url=sandbox_console_url(connection.iam_endpoint),
    )


def sandbox_console_url(iam_endpoint: str) -> str:
    """The sandbox cloud's console when the connection's IAM endpoint (where agencies live)
    is the sandbox this installation runs (SANDBOX_URL); "" otherwise, so a customer of the
    real cloud is never sent to it."""
    sandbox = settings.SANDBOX_URL
    if not sandbox or iam_endpoint.rstrip("/") != sandbox:
        return ""
    return f"{sandbox}/console/"


def _consented(record: ConsentRecord, link: Link | None) -> ConsentedItem:
    scope = record.scope or {}
    days = scope.get("duration_days")
    return ConsentedItem(
        link_type=record.link_type,
        link_reference=link.reference if link is not None and link.pk else "",
        services=tuple(scope.get("services") or ()),
        regions=tuple(scope.get("regions") or ()),
        access_level=scope.get("access_level") or "",
        # The link's end as consented: the decision's moment plus the consented duration.
        ends_at=record.created_at + timedelta(days=days) if days else None,
        superseded=link is not None and link.source_item_id != record.item_id,
    )


def receipt_setup(
    req: LinkRequest,
    records: list[ConsentRecord],
    *,
    region_names: dict[str, str],
    now: datetime,
) -> list[SetupRow]:
    """The setup of every accepted record of one decision on `req`, in the records' order."""
    accepted = [r for r in records if r.decision == ConsentRecord.Decision.ACCEPTED]
    if not accepted:
        return []
    partner = partner_account(req.reseller)
    links = {
        link.link_type: link
        for link in Link.objects.filter(
            reseller_id=req.reseller_id,
            customer_id=req.customer_id,
            link_type__in=[r.link_type for r in accepted],
        ).only("id", "link_type", "source_item_id")
    }
    rows = []
    for record in accepted:
        setup = derive_setup(
            _consented(record, links.get(record.link_type)), partner=partner, now=now
        )
        rows.append(
            SetupRow(
                record=record,
                setup=setup,
                steps=setup_steps(setup, region_names=region_names, moment=local_moment),
                cli=cli_commands(setup),
            )
        )
    return rows


def receipt_sandbox_console(rows: list[SetupRow]) -> str:
    """The sandbox console the receipt (page and e-mail alike) sends the customer to; "" when
    the reseller's connection is Huawei Cloud or there is nothing to set up."""
    partner = rows[0].setup.partner if rows else None
    return partner.sandbox_console_url if partner is not None else ""


def has_terraform(rows: list[SetupRow]) -> bool:
    return bool(agency_setups(row.setup for row in rows))


@dataclass(frozen=True)
class CleanupInstructions:
    """What the customer deletes in the cloud when a link ends, in every form they may need."""

    cleanup: ItemCleanup
    steps: tuple[Step, ...]
    cli: str
    terraform: str


def link_cleanup_instructions(link: Link) -> CleanupInstructions:
    """The clean-up of an ended `link` (its reseller and its cloud connection: one query), for
    the customer's e-mail and the withdrawal confirmation page."""
    cleanup = derive_cleanup(
        link_type=link.link_type,
        link_reference=link.reference,
        partner_id=link.reseller.partner_id,
        regions=tuple(link.regions or ()),
        partner=partner_account(link.reseller),
        billing_ends_at=link.billing_ends_at or link.ends_at,
    )
    return CleanupInstructions(
        cleanup=cleanup,
        steps=cleanup_steps(cleanup, moment=local_moment),
        cli=cli_delete_commands(cleanup),
        terraform=terraform_cleanup(cleanup),
    )
