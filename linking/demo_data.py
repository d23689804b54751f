"""The demo world `seed_demo` builds for a local run: the catalogue, two resellers and their
people, the customer directory."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from accounts.models import Reseller, Site
from linking.cloud import demo as cloud_demo
from linking.models import CustomerAccount

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 (a published demo password, local data only)
# Every demo login's authenticator app shares this published key (local data only): add it to
# an app, or have `manage.py demo_code` print the current code.
DEMO_TOTP_KEY = "706f7274616c2d64656d6f2d6b65792d32303236"

SERVICES = [
    # code, name, category, sensitive
    ("ECS", "Elastic Cloud Server", "Compute", False),
    ("CCE", "Cloud Container Engine", "Containers", False),
    ("EVS", "Elastic Volume Service", "Storage", False),
    ("OBS", "Object Storage Service", "Storage", False),
    ("RDS", "Relational Database Service", "Databases", False),
    ("DCS", "Distributed Cache Service", "Databases", False),
    ("VPC", "Virtual Private Cloud", "Networking", False),
    ("ELB", "Elastic Load Balance", "Networking", False),
    ("CDN", "Content Delivery Network", "Networking", False),
    ("BSS", "Billing Center", "Billing", False),
    ("IAM", "Identity and Access Management", "Security", True),
    ("KMS", "Key Management Service", "Security", True),
    ("CTS", "Cloud Trace Service", "Security", True),
]

REGIONS = [
    # code, name, site
    ("ap-southeast-1", "AP-Hong Kong", Site.INTERNATIONAL),
    ("ap-southeast-2", "AP-Bangkok", Site.INTERNATIONAL),
    ("ap-southeast-3", "AP-Singapore", Site.INTERNATIONAL),
    ("eu-west-0", "EU-Paris", Site.INTERNATIONAL),
    ("af-south-1", "AF-Johannesburg", Site.INTERNATIONAL),
    ("la-north-2", "LA-Mexico City2", Site.INTERNATIONAL),
    ("cn-north-4", "CN North-Beijing4", Site.CHINA),
    ("cn-east-3", "CN East-Shanghai1", Site.CHINA),
    ("cn-south-1", "CN South-Guangzhou", Site.CHINA),
]
INTL_REGIONS = [code for code, _, site in REGIONS if site == Site.INTERNATIONAL]
CN_REGIONS = [code for code, _, site in REGIONS if site == Site.CHINA]

RESELLERS = [
    {
        "partner_id": "P-100234",
        "name": "Northwind Cloud Services",
        "tier": Reseller.Tier.DISTRIBUTOR,
        "approval_policy": Reseller.ApprovalPolicy.BEYOND_READ_ONLY,
        "domain": "northwind.example",
    },
    {
        "partner_id": "P-200871",
        "name": "Contoso Partners",
        "tier": Reseller.Tier.RESELLER,
        "approval_policy": Reseller.ApprovalPolicy.ALWAYS,
        "domain": "contoso.example",
    },
]

# Customer directory: (display name, status, site, is_partner). The accounts that also live in
# the demo cloud take their display name, account id and account name from it
# (`linking.cloud.demo`, the one source of those identities); the others get a fixed id and
# name derived from their display name, the same on every run.
_A, _F, _R, _D = (
    CustomerAccount.Status.ACTIVE,
    CustomerAccount.Status.FROZEN,
    CustomerAccount.Status.IN_ARREARS,
    CustomerAccount.Status.DEREGISTERED,
)
_I, _C = Site.INTERNATIONAL, Site.CHINA
_CLOUD = {customer.name: customer for customer in cloud_demo.CUSTOMERS}
CUSTOMERS = [
    (_CLOUD["acme-retail"].display_name, _A, _I, False),
    (_CLOUD["globex-logistics"].display_name, _A, _I, False),
    (_CLOUD["initech-software"].display_name, _A, _I, False),
    (_CLOUD["umbrella-pharma"].display_name, _A, _I, False),
    ("Stark Manufacturing", _A, _I, False),
    ("Wayne Property Holdings", _A, _I, False),
    ("Cyberdyne Robotics", _A, _I, False),
    ("Soylent Foods", _A, _I, False),
    ("Tyrell Biotech", _A, _I, False),
    ("Hooli Media", _A, _I, False),
    ("Pied Piper Data", _A, _I, False),
    ("Vandelay Imports", _A, _I, False),
    ("Bluth Real Estate", _A, _I, False),
    ("Dunder Mifflin Paper", _A, _I, False),
    ("Sterling Cooper Advertising", _A, _I, False),
    ("Oceanic Airlines", _A, _I, False),
    ("Monarch Travel", _A, _I, False),
    ("Gringotts Banking", _A, _I, False),
    ("Ollivanders Retail", _A, _I, False),
    ("Nakatomi Trading", _A, _I, False),
    ("Massive Dynamic", _A, _I, False),
    ("Prestige Worldwide", _A, _I, False),
    ("Aperture Science Labs", _A, _I, False),
    ("Black Mesa Research", _A, _I, False),
    ("Wonka Confectionery", _A, _I, False),
    ("Krusty Krab Restaurants", _A, _I, False),
    ("Los Pollos Hermanos", _A, _I, False),
    ("Gekko and Co", _A, _I, False),
    ("Duff Beverages", _A, _I, False),
    ("Kaiba Games", _A, _I, False),
    ("Spacely Sprockets", _A, _I, False),
    ("Cogswell Cogs", _A, _I, False),
    ("Rekall Memories", _A, _I, False),
    ("Virtucon Industries", _A, _I, False),
    ("Buy n Large Stores", _A, _I, False),
    ("Zorg Industries", _A, _I, False),
    ("Abstergo Health", _A, _I, False),
    ("Ingen Parks", _A, _I, False),
    ("Omni Consumer Products", _A, _I, False),
    ("Sirius Cybernetics", _A, _I, False),
    ("Veidt Enterprises", _A, _I, False),
    ("Yoyodyne Propulsion", _A, _I, False),
    ("Frozen Fjord Fisheries", _F, _I, False),
    ("Iceberg Analytics", _F, _I, False),
    ("Overdue Outfitters", _R, _I, False),
    ("Late Payment Logistics", _R, _I, False),
    ("Closed Chapter Books", _D, _I, False),
    ("Beijing Lotus Trading", _A, _C, False),
    ("Shanghai Pearl Media", _A, _C, False),
    ("Guangzhou Harbour Freight", _A, _C, False),
    ("Shenzhen Circuit Works", _A, _C, False),
    ("Fabrikam Cloud Partner", _A, _I, True),
    ("Litware Solutions Partner", _A, _I, True),
    ("Adventure Works Cycles", _A, _I, False),
    (_CLOUD["tailspin-toys"].display_name, _A, _I, False),
    (_CLOUD["wide-world-importers"].display_name, _A, _I, False),
]
# Ids of the accounts the demo cloud does not hold: stable, and unlike any cloud demo id.
_ID_NAMESPACE = uuid.UUID("5b0f3c1e-6d2a-4f8b-9c7e-1a2b3c4d5e6f")


class DemoIdentity(NamedTuple):
    account_id: str
    account_name: str


def demo_identity(display_name: str) -> DemoIdentity:
    """The account id and account name of a demo customer: the demo cloud's when it holds the
    account, otherwise derived from the display name."""
    for customer in cloud_demo.CUSTOMERS:
        if customer.display_name == display_name:
            return DemoIdentity(customer.domain_id, customer.name)
    name = "-".join(
        "".join(c for c in word if c.isalnum()) for word in display_name.lower().split()
    )
    return DemoIdentity(uuid.uuid5(_ID_NAMESPACE, display_name).hex, name[:32].strip("-"))


def slug(name: str) -> str:
    """A short lowercase handle of a name, for demo e-mail addresses."""
    return "".join(ch for ch in name.lower() if ch.isalnum())[:24]
