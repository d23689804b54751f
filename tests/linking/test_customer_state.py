"""Customer state changes: staff mark an account frozen, in arrears or deregistered and its links
are suspended (permissions removed, reason shown); active again resumes and re-verifies them."""

import pytest
from django.urls import reverse

from linking import services
from linking.models import CustomerAccount, Link, Notification, VerificationRun
from linking.tasks import link_verify_task
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module
from tests.factories import UserFactory
from tests.journeys import active_link
from tests.linking.test_revocation import BILLING, fresh

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = Link.Status


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def has_view(user, customer) -> bool:
    return fresh(user).has_perm("linking.view_customeraccount", customer)


def has_read(user, customer) -> bool:
    return fresh(user).has_perm("linking.delegate_read_customeraccount", customer)


@pytest.mark.parametrize("status", ["frozen", "in_arrears", "deregistered"])
def test_leaving_active_suspends_every_live_link_and_removes_the_permissions(
    cast, run_on_commit, status
):
    with run_on_commit():
        delegation = active_link(cast)
        billing = active_link(cast, [BILLING])
    assert has_view(cast.viewer, cast.customer) and has_read(cast.initiator, cast.customer)
    with run_on_commit():
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status=status, reason="Unpaid invoice"
        )
    label = CustomerAccount.Status(status).label.lower()
    for link in (delegation, billing):
        link.refresh_from_db()
        assert link.status == Status.SUSPENDED
        assert link.status_reason == f"customer account {label}: Unpaid invoice"
        row = link.history.first()
        assert row.status == Status.SUSPENDED
        assert row.history_user == cast.staff
        assert f"→ {label}" in row.history_change_reason
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert not has_view(user, cast.customer)
        assert not has_read(user, cast.customer)
        assert not fresh(user).has_perm("linking.bill_customeraccount", cast.customer)
    notices = Notification.objects.filter(kind=Notification.Kind.LINK_SUSPENDED)
    assert sorted(n.link_id for n in notices) == sorted([delegation.pk, billing.pk])
    assert {n.to_email for n in notices} == {cast.initiator.email}
    customer_row = cast.customer.history.first()
    assert customer_row.status == status and customer_row.history_user == cast.staff
    assert "Unpaid invoice" in customer_row.history_change_reason


def test_active_again_resumes_the_links_reapplies_permissions_and_reverifies(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
    assert not has_view(cast.viewer, cast.customer)
    with run_on_commit() as callbacks:
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="active", reason="Paid"
        )
    link.refresh_from_db()
    assert link.status == Status.ACTIVE and link.status_reason == ""
    assert has_view(cast.viewer, cast.customer)
    assert has_read(cast.initiator, cast.customer)
    assert not has_read(cast.viewer, cast.customer)
    row = link.history.first()
    assert row.status == Status.ACTIVE and row.history_user == cast.staff
    assert "resumed" in row.history_change_reason
    resumed = Notification.objects.get(kind=Notification.Kind.LINK_RESUMED)
    assert (resumed.link_id, resumed.to_email) == (link.pk, cast.initiator.email)
    # The re-verification is published after commit; run it the way the worker would.
    assert callbacks
    for callback in callbacks:
        callback()
    link_verify_task(link.pk, "resume")
    run = link.verification_runs.first()
    assert run is not None and run.trigger == VerificationRun.Trigger.RESUME


def test_frozen_to_deregistered_keeps_the_links_suspended_with_the_new_reason(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="deregistered"
        )
    link.refresh_from_db()
    assert link.status == Status.SUSPENDED
    assert link.status_reason == "customer account deregistered"
    # One notice per suspension, not one per status change.
    assert Notification.objects.filter(kind=Notification.Kind.LINK_SUSPENDED).count() == 1


def test_same_status_is_a_no_op(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    before = (link.history.count(), cast.customer.history.count())
    services.customer_set_status(actor=cast.staff, customer_id=cast.customer.pk, status="active")
    assert (link.history.count(), cast.customer.history.count()) == before


def test_revoked_links_stay_revoked_when_the_account_comes_back(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
        services.link_revoke(
            actor=cast.admin, link_id=link.pk, reason="Done", confirm_reference=link.reference
        )
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="active"
        )
    assert Link.objects.get(pk=link.pk).status == Status.REVOKED
    assert not has_view(cast.viewer, cast.customer)
    assert not Notification.objects.filter(kind=Notification.Kind.LINK_RESUMED).exists()


def test_other_customers_are_not_touched(cast, run_on_commit):
    with run_on_commit():
        active_link(cast)
        other = active_link(cast, customer=cast.customer2)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
    assert Link.objects.get(pk=other.pk).status == Status.ACTIVE
    assert has_view(cast.viewer, cast.customer2)


def test_only_staff_who_may_change_customers_set_the_status(cast):
    with pytest.raises(PortalError):
        services.customer_set_status(
            actor=cast.admin, customer_id=cast.customer.pk, status="frozen"
        )
    with pytest.raises(PortalError):
        services.customer_set_status(
            actor=cast.auditor, customer_id=cast.customer.pk, status="frozen"
        )
    assert CustomerAccount.objects.get(pk=cast.customer.pk).status == "active"


# --- through the admin ------------------------------------------------------------------------


def change_url(customer):
    return reverse("admin:linking_customeraccount_change", args=[customer.pk])


def admin_post(client, customer, **changes):
    data = {
        "account_id": customer.account_id,
        "display_name": customer.display_name,
        "contact_email": customer.contact_email,
        "site": customer.site,
        "regions": list(customer.regions.values_list("pk", flat=True)),
        "status": customer.status,
        **changes,
    }
    return client.post(change_url(customer), data)


def test_staff_freezing_and_reactivating_in_the_admin_goes_through_the_service(
    client, cast, run_on_commit
):
    with run_on_commit():
        link = active_link(cast)
    client.force_login(cast.staff)
    with run_on_commit():
        response = admin_post(client, cast.customer, status="frozen", display_name="Acme R.")
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = CustomerAccount.objects.get(pk=cast.customer.pk)
    assert (customer.status, customer.display_name) == ("frozen", "Acme R.")
    link.refresh_from_db()
    assert link.status == Status.SUSPENDED
    assert link.history.first().history_user == cast.staff
    assert not has_view(cast.viewer, customer)
    assert Notification.objects.filter(kind=Notification.Kind.LINK_SUSPENDED).count() == 1
    with run_on_commit():
        response = admin_post(client, customer, status="active")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == Status.ACTIVE
    assert has_view(cast.viewer, customer)
    assert Notification.objects.filter(kind=Notification.Kind.LINK_RESUMED).count() == 1


def test_admin_edit_without_a_status_change_leaves_the_links_alone(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    client.force_login(cast.staff)
    before = link.history.count()
    response = admin_post(client, cast.customer, display_name="Acme Retail Group")
    assert response.status_code == 302
    assert link.history.count() == before
    assert Link.objects.get(pk=link.pk).status == Status.ACTIVE


def test_staff_with_only_the_change_permission_can_freeze(client, cast, run_on_commit):
    from django.contrib.auth.models import Permission

    with run_on_commit():
        link = active_link(cast)
    clerk = UserFactory(email="clerk@platform.example", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_customeraccount", "change_customeraccount"],
            content_type__app_label="linking",
        )
    )
    client.force_login(clerk)
    with run_on_commit():
        response = admin_post(client, cast.customer, status="in_arrears")
    assert response.status_code == 302
    assert Link.objects.get(pk=link.pk).status == Status.SUSPENDED
