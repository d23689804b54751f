"""The demo's cloud: fixed partner and customer accounts of the sandbox, shared by the sandbox's
`seed-demo` (which creates them in the sandbox) and the portal's `seed_demo` (which connects the
two demo resellers with the same keys). Published demo values for local runs only; stdlib only,
so both sides import it without the other's Django app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Where `make run` serves the sandbox cloud when SANDBOX_URL is not set.
SANDBOX_URL = "http://127.0.0.1:8010"
# The console password of every demo customer account.
CONSOLE_PASSWORD = "sandbox-demo-2026"  # noqa: S105 (a published demo password, local data only)


@dataclass(frozen=True)
class DemoPartner:
    partner_id: str  # the demo reseller it belongs to
    name: str
    display_name: str
    domain_id: str
    access_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    display_name: str
    domain_id: str
    partner: str | None  # the partner account name it is associated with, if any
    servers: tuple[tuple[str, str], ...] = ()  # (region, server name)

    @property
    def email(self) -> str:
        return f"cloud-admin@{self.name}.example.com"


PARTNERS = (
    DemoPartner(
        partner_id="P-100234",
        name="northwind-partner",
        display_name="Northwind Cloud Services",
        domain_id="a1000000000000000000000000100234",
        access_key="NORTHWINDDEMOKEY0001",
        secret_key="NorthwindDemoSecretKey000000000000000001",  # noqa: S106 (demo only)
    ),
    DemoPartner(
        partner_id="P-200871",
        name="contoso-partner",
        display_name="Contoso Partners",
        domain_id="a2000000000000000000000000200871",
        access_key="CONTOSODEMOKEY000001",
        secret_key="ContosoDemoSecretKey00000000000000000001",  # noqa: S106 (demo only)
    ),
)

CUSTOMERS = (
    DemoCustomer(
        name="acme-retail",
        display_name="Acme Retail Group",
        domain_id="c1000000000000000000000000000001",
        partner="northwind-partner",
        servers=(("ap-southeast-1", "shop-web-01"), ("ap-southeast-1", "shop-db-01")),
    ),
    DemoCustomer(
        name="globex-logistics",
        display_name="Globex Logistics",
        domain_id="c1000000000000000000000000000002",
        partner="northwind-partner",
        servers=(("ap-southeast-3", "tracking-01"),),
    ),
    DemoCustomer(
        name="initech-software",
        display_name="Initech Software",
        domain_id="c1000000000000000000000000000003",
        partner=None,  # not associated yet: accepts Northwind's invitation in the console
        servers=(("eu-west-101", "build-agent-01"),),
    ),
    DemoCustomer(
        name="tailspin-toys",
        display_name="Tailspin Toys",
        domain_id="c1000000000000000000000000000004",
        partner="contoso-partner",
        servers=(("ap-southeast-1", "toys-web-01"),),
    ),
    DemoCustomer(
        name="wide-world-importers",
        display_name="Wide World Importers",
        domain_id="c1000000000000000000000000000005",
        partner=None,
    ),
    # Accepted Northwind's billing, provisioning and delegation in the demo data: its links
    # wait for its part, which it does in the console (the invitation, one agency per link).
    DemoCustomer(
        name="umbrella-pharma",
        display_name="Umbrella Pharmaceuticals",
        domain_id="c1000000000000000000000000000006",
        partner=None,
    ),
)


def invitation_url(base_url: str, partner: DemoPartner) -> str:
    """The partner's customer-association invitation link in the sandbox's console."""
    return f"{base_url.rstrip('/')}/console/invitations/{partner.domain_id}/"
