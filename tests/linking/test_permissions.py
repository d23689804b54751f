"""Object permissions on customer accounts hold only while a link that grants them is live,
whatever the sweeps have done."""

from datetime import timedelta

import pytest
import time_machine
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm

from accounts.models import ResellerRoleGroup, Role
from linking.checks import ItemSpec
from linking.models import Link
from linking.permissions import customer_has_perm, link_is_live, live_link_q
from tests.conftest import make_draft, submit
from tests.journeys import accept, activate, active_link, to_the_customer
from tests.linking.test_delegation_expiry import fresh, group_perms, read_only

pytestmark = pytest.mark.django_db

READ = "linking.delegate_read_customeraccount"
VIEW = "linking.view_customeraccount"
BILL = "linking.bill_customeraccount"


@pytest.fixture
def lapsing(cast, django_capture_on_commit_callbacks):
    """An active read-only delegation of 30 days and an active billing link on the customer,
    made by one request."""
    with django_capture_on_commit_callbacks(execute=False):
        spec = read_only(cast, days=30)
        req = to_the_customer(
            cast, submit(cast, make_draft(cast, specs=[ItemSpec("billing"), spec]))
        )
        accept(cast, req)
        for link in Link.objects.filter(customer=cast.customer):
            activate(cast, link.pk)
    return Link.objects.get(customer=cast.customer, link_type="delegation")


def after_the_end(link):
    return time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False)


def test_a_live_delegation_grants_its_permissions(cast, lapsing):
    assert link_is_live(lapsing)
    assert fresh(cast.initiator).has_perm(READ, cast.customer)
    assert fresh(cast.viewer).has_perm(VIEW, cast.customer)
    assert not fresh(cast.viewer).has_perm(READ, cast.customer)


def test_past_its_end_a_delegation_grants_nothing_though_the_sweep_has_not_run(cast, lapsing):
    initiator_group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=Role.INITIATOR)
    with after_the_end(lapsing):
        # guardian's rows are still there, and its own checker still says yes.
        assert "delegate_read_customeraccount" in group_perms(cast, Role.INITIATOR)
        assert ObjectPermissionChecker(fresh(cast.initiator)).has_perm(READ, cast.customer)
        assert not link_is_live(lapsing)
        assert not Link.objects.filter(live_link_q(), pk=lapsing.pk).exists()
        # Every check of the portal says no.
        assert not fresh(cast.initiator).has_perm(READ, cast.customer)
        assert READ.split(".")[1] not in fresh(cast.initiator).get_all_permissions(cast.customer)
        assert not customer_has_perm(initiator_group.group, READ, cast.customer)
        # The billing link is live still: what it grants holds.
        assert fresh(cast.initiator).has_perm(BILL, cast.customer)
        assert fresh(cast.viewer).has_perm(VIEW, cast.customer)
    lapsing.refresh_from_db()
    assert lapsing.status == Link.Status.ACTIVE


def test_without_any_live_link_even_viewing_is_refused(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        link = active_link(cast, [read_only(cast, days=30)])
    assert fresh(cast.viewer).has_perm(VIEW, cast.customer)
    with after_the_end(link):
        assert not fresh(cast.viewer).has_perm(VIEW, cast.customer)
        assert not fresh(cast.admin).has_perm(VIEW, cast.customer)


def test_a_grant_no_link_made_is_refused(cast):
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=Role.VIEWER).group
    assign_perm(VIEW, group, cast.customer2)
    assign_perm(READ, cast.viewer, cast.customer2)
    assert ObjectPermissionChecker(fresh(cast.viewer)).has_perm(READ, cast.customer2)
    assert not fresh(cast.viewer).has_perm(VIEW, cast.customer2)
    assert not fresh(cast.viewer).has_perm(READ, cast.customer2)
