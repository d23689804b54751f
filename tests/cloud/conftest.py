"""The sandbox cloud's fixtures live in `tests.cloud.sandbox_fixtures` (a plugin of the root
conftest), so every test directory can use `sandbox_cloud` and `cloud`."""

from dataclasses import dataclass

import pytest

from accounts.models import Reseller, Role, User
from accounts.services import reseller_create
from tests.cloud.sandbox_fixtures import SandboxCloud, _free_port
from tests.conftest import _member

__all__ = ["SandboxCloud", "SyncCast", "_free_port"]


@dataclass
class SyncCast:
    """The part of the named cast a sync needs: two resellers and the first one's admin. The
    directory starts empty, so every account in it came from the sync under test."""

    reseller: Reseller
    other: Reseller
    admin: User


@pytest.fixture
def sync_cast(db) -> SyncCast:
    reseller = reseller_create(actor=None, partner_id="P-100001", name="Northwind Cloud")
    other = reseller_create(actor=None, partner_id="P-200002", name="Contoso Partners")
    return SyncCast(reseller, other, _member(reseller, Role.ADMIN, "admin@northwind.example"))
