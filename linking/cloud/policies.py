"""Which Huawei Cloud system permission grants a service at an access level: the one table.

The customer's agency gets, for each consented service, the system permission of this table at
the consented level (`linking.cloud.setup`), and the sandbox cloud accepts exactly these names
(`linking.cloud.sandbox.roles` derives its roles from here). Plain data with no Django import,
so the sandbox, which has settings of its own, can read it.

Names are those of IAM's list of system-defined permissions ("System-defined Permissions" in
the Huawei Cloud help centre): prefer the fine-grained policy (`<SVC> ReadOnlyAccess`,
`<SVC> FullAccess`) where the service has one, else the service's role. Global services (OBS,
CDN, IAM, BSS) are granted in the global service project (an agency's `domain_roles`);
the others in the project of each consented region.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The portal's access levels (`linking.models.AccessLevel`), spelled here without importing
# the models; a test holds the two together.
READ_ONLY = "read_only"
MANAGE = "manage"
LEVELS = (READ_ONLY, MANAGE)


class Scope(StrEnum):
    # Granted in the project of each consented region (an agency's `project_role` blocks).
    PROJECT = "project"
    # Granted once in the global service project (an agency's `domain_roles`).
    GLOBAL = "global"


@dataclass(frozen=True)
class ServicePermissions:
    service: str  # the catalog's service code
    scope: Scope
    read_only: str
    # None: no system permission lets an agency manage this service (IAM's Security
    # Administrator cannot be given to an agency); the setup says so instead of granting more.
    manage: str | None

    def name_for(self, level: str) -> str | None:
        if level == READ_ONLY:
            return self.read_only
        if level == MANAGE:
            return self.manage
        raise ValueError(f"Unknown access level {level!r}.")


PERMISSIONS: tuple[ServicePermissions, ...] = (
    ServicePermissions("ECS", Scope.PROJECT, "ECS ReadOnlyAccess", "ECS FullAccess"),
    ServicePermissions("CCE", Scope.PROJECT, "CCE ReadOnlyAccess", "CCE FullAccess"),
    ServicePermissions("EVS", Scope.PROJECT, "EVS ReadOnlyAccess", "EVS FullAccess"),
    ServicePermissions("OBS", Scope.GLOBAL, "OBS ReadOnlyAccess", "OBS Administrator"),
    ServicePermissions("RDS", Scope.PROJECT, "RDS ReadOnlyAccess", "RDS FullAccess"),
    ServicePermissions("DCS", Scope.PROJECT, "DCS ReadOnlyAccess", "DCS FullAccess"),
    ServicePermissions("VPC", Scope.PROJECT, "VPC ReadOnlyAccess", "VPC FullAccess"),
    ServicePermissions("ELB", Scope.PROJECT, "ELB ReadOnlyAccess", "ELB FullAccess"),
    # CDN has no policy for everything read-only; its domain view is what a partner reads.
    ServicePermissions("CDN", Scope.GLOBAL, "CDN DomainReadOnlyAccess", "CDN Administrator"),
    # BSS is listed as project-level but granted in the global project (and every region);
    # the global grant is what the billing pages read.
    ServicePermissions("BSS", Scope.GLOBAL, "BSS ReadonlyAccess", "BSS Administrator"),
    ServicePermissions("IAM", Scope.GLOBAL, "IAM ReadOnlyAccess", None),
    ServicePermissions("KMS", Scope.PROJECT, "KMS CMKReadOnlyAccess", "KMS CMKFullAccess"),
    ServicePermissions("CTS", Scope.PROJECT, "CTS ReadOnlyAccess", "CTS FullAccess"),
)

BY_SERVICE: dict[str, ServicePermissions] = {p.service: p for p in PERMISSIONS}


def permission_for(service: str, level: str) -> tuple[str, Scope] | None:
    """The system permission granting `service` at `level`, and where it is granted; None when
    no system permission does (unknown service, or one an agency may not manage)."""
    entry = BY_SERVICE.get(service.upper())
    if entry is None:
        return None
    name = entry.name_for(level)
    return (name, entry.scope) if name else None


def all_names() -> dict[str, tuple[str, str]]:
    """Every permission name of the table -> (service code, level)."""
    names: dict[str, tuple[str, str]] = {}
    for entry in PERMISSIONS:
        names[entry.read_only] = (entry.service, READ_ONLY)
        if entry.manage:
            names[entry.manage] = (entry.service, MANAGE)
    return names
