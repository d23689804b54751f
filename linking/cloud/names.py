"""The names the cloud knows a link by: the customer's account id and the agency's name.

`agency_name` is the derivation the customer's setup instructions use (`linking.cloud.setup`:
the receipt, the Terraform file), so the checks assume exactly the agency the customer was told
to create.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linking.cloud.setup import agency_name

if TYPE_CHECKING:
    from linking.models import CustomerAccount, Link

__all__ = ["agency_name", "agency_name_for", "customer_domain_id"]


def agency_name_for(link: Link) -> str:
    """The name of the agency the customer creates for `link` (delegation, provisioning)."""
    return agency_name(link.reseller.partner_id, link.reference)


def customer_domain_id(customer: CustomerAccount) -> str:
    """The cloud's domain id of a customer account: the directory's account id, which holds it
    in its normal form (32 lowercase hexadecimal characters, `linking.identity`)."""
    return customer.account_id
