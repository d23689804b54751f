"""The names the cloud knows a link by: the customer's account id and the agency's name.

`agency_name` is the same derivation as the customer's setup instructions use (the receipt,
the Terraform file): the checks assume exactly the agency the customer was told to create.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linking.models import CustomerAccount, Link

# Huawei Cloud's agency names: at most 64 characters; letters, digits, "-", "_" and ".".
AGENCY_NAME_MAX = 64
_AGENCY_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PARTNER_PART_MAX = 20
_DOMAIN_ID = re.compile(r"^[0-9a-f]{32}$")


def agency_name(partner_id: str, link_reference: str) -> str:
    """The agency's name: stable for the link (amendments change its roles, not its name),
    distinct per partner and link, and valid for Huawei Cloud whatever the partner id holds."""
    partner = _AGENCY_NAME_UNSAFE.sub("-", partner_id).strip("-._")[:_PARTNER_PART_MAX]
    link = _AGENCY_NAME_UNSAFE.sub("-", link_reference).strip("-._")
    name = "-".join(part for part in ("partner", partner, link) if part)
    return name[:AGENCY_NAME_MAX]


def agency_name_for(link: Link) -> str:
    """The name of the agency the customer creates for `link` (delegation, provisioning)."""
    return agency_name(link.reseller.partner_id, link.reference)


def customer_domain_id(customer: CustomerAccount) -> str:
    """The cloud's domain id of a customer account.

    The directory's account id is the domain id once it holds 32 hexadecimal characters; a
    12-digit id of the older directory is read as that number padded with zeros to 32.
    """
    account_id = customer.account_id
    return account_id if _DOMAIN_ID.match(account_id) else account_id.zfill(32)
