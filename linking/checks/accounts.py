"""The rules of who asks and of the customer account itself."""

from __future__ import annotations

from accounts.models import Reseller, User
from accounts.permissions import has_reseller_perm
from linking import identity
from linking.checks.reasons import Reason, reason
from linking.models import CustomerAccount
from portal.identifiers import visible


def parse_account_id(raw_account_id: str) -> tuple[str, list[Reason]]:
    """The normalised account id, or the reasons it is not one (nothing looked up yet)."""
    account_id, code = identity.parse_account_id(raw_account_id)
    if code == identity.BAD_ACCOUNT_ID:
        return "", [reason(code, account_id=visible((raw_account_id or "").strip()))]
    if code:
        return "", [reason(code)]
    return account_id, []


def found_reasons(account_id: str, customer: CustomerAccount | None) -> list[Reason]:
    if customer is None:
        return [reason("LNK-V002", account_id=identity.format_account_id(account_id))]
    return []


def find_customer(raw_account_id: str) -> tuple[CustomerAccount | None, list[Reason]]:
    """Parse an account id and look it up in the directory."""
    account_id, reasons = parse_account_id(raw_account_id)
    if reasons:
        return None, reasons
    customer = CustomerAccount.objects.filter(account_id=account_id).first()
    return customer, found_reasons(account_id, customer)


def check_reseller(reseller: Reseller) -> list[Reason]:
    if not reseller.is_live:
        return [reason("LNK-V019", reseller=reseller.name, status=reseller.get_status_display())]
    return []


def check_actor(actor: User, reseller: Reseller, perm: str = "initiate_requests") -> list[Reason]:
    if not has_reseller_perm(user=actor, reseller=reseller, perm=perm):
        role = "initiator" if perm == "initiate_requests" else "approver"
        return [reason("LNK-V013", reseller=reseller.name, role=role)]
    return []


def check_customer(reseller: Reseller, customer: CustomerAccount) -> list[Reason]:
    """What about the account itself blocks any link: state, site, partner flag, contact."""
    reasons = []
    account_id = customer.label
    status_codes: dict[str, str] = {
        CustomerAccount.Status.FROZEN: "LNK-V003",
        CustomerAccount.Status.IN_ARREARS: "LNK-V004",
        CustomerAccount.Status.DEREGISTERED: "LNK-V005",
    }
    if customer.status in status_codes:
        # Who says so, and how long ago: a refusal on a fact names its source and age.
        provenance = customer.status_provenance.words()
        reasons.append(
            reason(status_codes[customer.status], account_id=account_id, provenance=provenance)
        )
    if customer.site != reseller.site:
        reasons.append(
            reason(
                "LNK-V006",
                account_id=account_id,
                account_site=customer.get_site_display(),
                reseller_site=reseller.get_site_display(),
            )
        )
    if customer.is_partner:
        reasons.append(reason("LNK-V007", account_id=account_id))
    if not customer.contact_email:
        reasons.append(reason("LNK-V020", account_id=account_id))
    return reasons
