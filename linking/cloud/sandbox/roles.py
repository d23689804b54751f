"""Regions and the IAM system roles the sandbox knows, with what each one grants."""

import hashlib

from linking.cloud.policies import MANAGE, all_names

REGIONS = (
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "cn-north-4",
    "la-south-2",
    "eu-west-101",
    # The demo catalog's other regions, so a demo customer can follow the portal's steps.
    "eu-west-0",
    "af-south-1",
    "la-north-2",
    "cn-east-3",
    "cn-south-1",
)

READ, WRITE = "read", "write"
ALL_SERVICES = "*"

# Role name -> (service, level). A write role also grants reading. The service roles are the
# portal's table of system permissions (`linking.cloud.policies`), so the sandbox accepts
# exactly the names the portal asks a customer to grant.
ROLES = {
    **{
        name: (service.lower(), WRITE if level == MANAGE else READ)
        for name, (service, level) in all_names().items()
    },
    "Tenant Guest": (ALL_SERVICES, READ),
    "Tenant Administrator": (ALL_SERVICES, WRITE),
}
BROAD_ROLE = "Tenant Administrator"


def project_id(domain_id: str, region: str) -> str:
    """Every account has one project per region; its id is derived, never stored."""
    return hashlib.sha256(f"{domain_id}:{region}".encode()).hexdigest()[:32]


def region_of_project(domain_id: str, project: str) -> str | None:
    for region in REGIONS:
        if project_id(domain_id, region) == project:
            return region
    return None


def grants(roles, service: str, level: str) -> bool:
    for role in roles:
        granted_service, granted_level = ROLES.get(role, (None, None))
        if granted_service not in (service, ALL_SERVICES):
            continue
        if level == READ or granted_level == WRITE:
            return True
    return False
