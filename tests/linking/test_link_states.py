"""The link state machine: one transition table, a database constraint on the status, the
revoking state of a billing association, and one predicate per action for page and service."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from linking import services
from linking.models import Link
from linking.services._common import _move_link
from linking.services.amend import can_amend
from linking.services.revocation import can_revoke
from portal.errors import PortalError
from tests.conftest import login
from tests.journeys import active_link
from tests.linking.test_revocation import BILLING

Status = Link.Status


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def revoke(cast, link):
    return services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
    )


def test_every_state_has_its_moves_and_only_the_table_allows_a_move(cast, run_on_commit):
    assert set(Link.TRANSITIONS) == set(Status.values)
    with run_on_commit():
        link = active_link(cast)
        revoke(cast, link)
    link.refresh_from_db()
    with pytest.raises(PortalError) as refused:
        _move_link(link, Status.ACTIVE, actor=None, reason="back", action="resumed")
    assert refused.value.code == "LNK-L001"
    link.refresh_from_db()
    assert link.status == Status.REVOKED


def test_the_database_refuses_a_status_outside_the_states(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.filter(pk=link.pk).update(status="paused")


def test_a_revoked_billing_link_is_revoking_until_its_month_end(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast, [BILLING])
        revoke(cast, link)
    link.refresh_from_db()
    assert link.status == Status.REVOKING and link.is_live
    assert can_revoke(link, actor=cast.admin).code == "LNK-L001"
    assert can_amend(link, actor=cast.initiator).code == "LNK-L001"


def test_the_migration_names_the_revoking_and_suspended_rows(cast, run_on_commit):
    with run_on_commit():
        billing = active_link(cast, [BILLING])
        delegation = active_link(cast)
    # Rows as the portal wrote them before the states had names.
    Link.objects.filter(pk=billing.pk).update(revoked_at=timezone.now())
    Link.objects.filter(pk=delegation.pk).update(status="suspended", suspended_for="")
    migration = import_module("linking.migrations.0009_link_transitions")
    migration.name_the_states(apps, None)
    billing.refresh_from_db()
    delegation.refresh_from_db()
    assert billing.status == Status.REVOKING
    assert (delegation.status, delegation.suspended_for) == (Status.SUSPENDED, "customer")


def test_link_page_offers_exactly_what_the_predicates_allow(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast, [BILLING])
    login(client, cast.admin)
    page = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'id="link-revoke"' in page
    assert 'id="link-amend"' not in page  # a billing link has no scope
    with run_on_commit():
        revoke(cast, link)
    page = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'id="link-revoke"' not in page and 'data-state="revoking"' in page
    response = client.get(reverse("linking:link-revoke", args=[link.pk]), follow=True)
    assert "LNK-L001" in response.content.decode()


def test_revoke_page_shows_the_same_state_badge_as_the_link_page(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
    link.refresh_from_db()
    login(client, cast.admin)
    page = client.get(reverse("linking:link-revoke", args=[link.pk])).content.decode()
    assert '<span class="badge text-bg-warning" data-state="suspended">Suspended</span>' in page


def test_a_revoking_link_past_its_month_end_is_listed_as_revoked_not_expired(cast, run_on_commit):
    import time_machine

    from linking.selectors.links import link_list_for_reseller

    with run_on_commit():
        link = active_link(cast, [BILLING])
        revoke(cast, link)
    link.refresh_from_db()
    with time_machine.travel(link.billing_ends_at + timedelta(seconds=1)):
        listed = {
            state: list(link_list_for_reseller(reseller=cast.reseller, status=state))
            for state in (Status.REVOKED, Status.EXPIRED, Status.REVOKING)
        }
    assert listed == {Status.REVOKED: [link], Status.EXPIRED: [], Status.REVOKING: []}
