"""The sync of a reseller's associated customers, over HTTP from the sandbox cloud."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linking.checks import check_customer
from linking.cloud.models import CloudAssociation, CloudConnection
from linking.cloud.sync import cloud_sync
from linking.models import CustomerAccount
from linking.provenance import FactSource
from tests.cloud.connection_setup import save_connection
from tests.cloud.sync_setup import associated_customer, connected
from tests.factories import CustomerFactory

History = CustomerAccount.history.model


def test_first_sync_creates_the_associated_customers_with_their_facts(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    acme = associated_customer(
        cloud,
        partner,
        "acme-prod",
        display_name="Acme Ltd",
        email="ops@acme.example",
        verified_status="2",
    )
    frozen = associated_customer(cloud, partner, "iced-co", display_name="Iced Co", frozen=True)
    cloud.control.create_account("not-associated")
    before = timezone.now()

    summary = cloud_sync(reseller=sync_cast.reseller)

    assert (summary.outcome, summary.pages, summary.new, summary.changed) == ("ok", 1, 2, 0)
    customer = CustomerAccount.objects.get(account_id=acme)
    assert (customer.account_name, customer.display_name, customer.contact_email) == (
        "acme-prod",
        "Acme Ltd",
        "ops@acme.example",
    )
    assert (customer.verified_status, customer.status, customer.site) == (
        "2",
        "active",
        sync_cast.reseller.site,
    )
    assert customer.status_source == customer.details_source == FactSource.CLOUD
    assert customer.status_confirmed_at >= before
    assert CustomerAccount.objects.get(account_id=frozen).status == "frozen"
    assert not CustomerAccount.objects.filter(account_name="not-associated").exists()
    association = CloudAssociation.objects.get(reseller=sync_cast.reseller, customer=customer)
    assert association.association_type == "1" and association.associated_at is not None
    assert association.ended_at is None
    assert History.objects.filter(id=customer.pk).count() == 1
    assert History.objects.get(id=customer.pk).history_change_reason == (
        f"cloud sync of {sync_cast.reseller.partner_id}"
    )
    stored = CloudConnection.objects.get(reseller=sync_cast.reseller)
    assert (stored.sync_status, stored.sync_code) == ("ok", "")
    assert stored.sync_ok_at == stored.synced_at and stored.synced_at >= before
    assert stored.sync_summary["new"] == 2


def test_a_second_sync_changes_nothing_and_writes_no_history(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    cloud.control.bulk_customers(partner, 250, name_prefix="steady-")
    cloud_sync(reseller=sync_cast.reseller)
    history_before = History.objects.count()
    first = CustomerAccount.objects.get(account_name="steady-001")
    marks = []

    with CaptureQueriesContext(connection) as queries:
        summary = cloud_sync(
            reseller=sync_cast.reseller, on_page=lambda page: marks.append(len(queries))
        )

    assert (summary.pages, summary.new, summary.changed, summary.unchanged) == (3, 0, 0, 250)
    assert History.objects.count() == history_before
    again = CustomerAccount.objects.get(pk=first.pk)
    assert again.details_confirmed_at > first.details_confirmed_at
    # A page of 100 unchanged accounts and one of 50 cost the same: the two selects, the
    # confirmation, the associations' upsert, in their savepoint.
    assert [b - a for a, b in pairwise(marks)] == [6, 6]


def test_a_customer_frozen_in_the_cloud_becomes_frozen_with_source_and_time(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    domain_id = associated_customer(cloud, partner, "melting", display_name="Melting Ltd")
    cloud_sync(reseller=sync_cast.reseller)
    cloud.control.update_account(domain_id, frozen=True)

    summary = cloud_sync(reseller=sync_cast.reseller)

    customer = CustomerAccount.objects.get(account_id=domain_id)
    assert (summary.changed, summary.status_changes) == (1, 1)
    assert customer.status == "frozen"
    assert customer.status_source == FactSource.CLOUD
    assert timezone.now() - customer.status_confirmed_at < timedelta(minutes=1)
    last = History.objects.filter(id=customer.pk).latest("history_date")
    assert last.status == "frozen" and "Huawei Cloud reports the account frozen" in (
        last.history_change_reason
    )
    [refusal] = [r for r in check_customer(sync_cast.reseller, customer) if r.code == "LNK-V003"]
    assert "is frozen — confirmed by Huawei Cloud less than a minute ago" in refusal.message

    cloud.control.update_account(domain_id, frozen=False)
    cloud_sync(reseller=sync_cast.reseller)
    assert CustomerAccount.objects.get(pk=customer.pk).status == "active"


def test_details_changed_in_the_cloud_follow_with_one_history_row(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    domain_id = associated_customer(cloud, partner, "renamed", display_name="Old name")
    cloud_sync(reseller=sync_cast.reseller)
    cloud.control.update_account(domain_id, display_name="New name", verified_status="0")

    summary = cloud_sync(reseller=sync_cast.reseller)

    customer = CustomerAccount.objects.get(account_id=domain_id)
    assert (summary.changed, summary.unchanged) == (1, 0)
    assert (customer.display_name, customer.verified_status) == ("New name", "0")
    assert History.objects.filter(id=customer.pk).count() == 2


def test_an_association_removed_in_the_cloud_is_marked_not_deleted(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    staying = associated_customer(cloud, partner, "staying")
    leaving = associated_customer(cloud, partner, "leaving")
    cloud_sync(reseller=sync_cast.reseller)
    cloud.control.dissociate(partner, leaving)

    summary = cloud_sync(reseller=sync_cast.reseller)

    assert summary.ended == 1
    gone = CloudAssociation.objects.get(customer__account_id=leaving)
    assert gone.ended_at is not None and not gone.is_current
    assert CloudAssociation.objects.get(customer__account_id=staying).is_current
    assert CustomerAccount.objects.filter(account_id=leaving).exists()

    cloud.control.associate(partner, leaving, association_type="3")
    summary = cloud_sync(reseller=sync_cast.reseller)
    back = CloudAssociation.objects.get(customer__account_id=leaving)
    assert summary.ended == 0 and back.is_current and back.association_type == "3"
    assert back.first_seen_at == gone.first_seen_at


def test_pagination_reads_every_page(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    cloud.control.bulk_customers(partner, 250, name_prefix="paged-")
    pages = []

    summary = cloud_sync(
        reseller=sync_cast.reseller, on_page=lambda page: pages.append(page.offset)
    )

    assert pages == [0, 100, 200]
    assert (summary.pages, summary.listed, summary.new) == (3, 250, 250)
    assert CustomerAccount.objects.filter(account_name__startswith="paged-").count() == 250
    assert CloudAssociation.objects.filter(reseller=sync_cast.reseller).count() == 250


def test_a_refused_key_is_recorded_with_its_code_and_the_next_run_retries(sync_cast, cloud):
    account, _ = _connect_with_wrong_secret(sync_cast, cloud)
    associated_customer(cloud, account["domain_id"], "waiting")

    summary = cloud_sync(reseller=sync_cast.reseller)

    stored = CloudConnection.objects.get(reseller=sync_cast.reseller)
    assert summary.outcome == "LNK-N003"
    assert (stored.sync_status, stored.sync_code) == ("failed", "LNK-N003")
    assert "refused your partner access key" in stored.sync_message
    assert stored.sync_ok_at is None and stored.synced_at is not None
    assert not CustomerAccount.objects.filter(account_name="waiting").exists()

    save_connection(
        sync_cast,
        url=cloud.url,
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=account["secret_key"],
    )
    assert cloud_sync(reseller=sync_cast.reseller).outcome == "ok"
    stored.refresh_from_db()
    assert (stored.sync_status, stored.sync_code) == ("ok", "")
    assert CustomerAccount.objects.filter(account_name="waiting").exists()


def _connect_with_wrong_secret(sync_cast, cloud):
    from tests.cloud.connection_setup import connect_to_sandbox

    wrong = "WrongSecretOfThePartner0123456789abcdef"
    return connect_to_sandbox(sync_cast, cloud, secret_key=wrong)


def test_throttling_is_recorded_and_the_next_run_syncs(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    associated_customer(cloud, partner, "patient")
    # More throttled answers than the provider's attempts (4): the run gives up and records it.
    cloud.control.add_fault("ListSubCustomers", "throttle", times=4, seconds=0)

    summary = cloud_sync(reseller=sync_cast.reseller)

    assert summary.outcome == "LNK-N002"
    stored = CloudConnection.objects.get(reseller=sync_cast.reseller)
    assert (stored.sync_status, stored.sync_code) == ("failed", "LNK-N002")
    assert cloud_sync(reseller=sync_cast.reseller).outcome == "ok"
    assert CustomerAccount.objects.filter(account_name="patient").exists()


def test_a_reseller_without_a_connection_is_not_synced(sync_cast):
    assert cloud_sync(reseller=sync_cast.other).outcome == "not connected"


@pytest.mark.parametrize("status", ["in_arrears", "deregistered"])
def test_a_status_staff_set_is_kept_when_the_cloud_does_not_report_it(sync_cast, cloud, status):
    partner = connected(sync_cast, cloud)
    domain_id = associated_customer(cloud, partner, "kept-status")
    cloud_sync(reseller=sync_cast.reseller)
    CustomerAccount.objects.filter(account_id=domain_id).update(status=status)

    cloud_sync(reseller=sync_cast.reseller)

    assert CustomerAccount.objects.get(account_id=domain_id).status == status


def test_a_name_another_account_holds_does_not_stop_the_sync(sync_cast, cloud):
    CustomerFactory(account_id="f" * 32, account_name="clash", display_name="Mistyped row")
    partner = connected(sync_cast, cloud)
    domain_id = associated_customer(cloud, partner, "clash")
    associated_customer(cloud, partner, "fine")

    summary = cloud_sync(reseller=sync_cast.reseller)

    assert (summary.outcome, summary.new, summary.name_conflicts) == ("ok", 2, 1)
    assert "1 without their name (held by another account)" in summary.line()
    assert CustomerAccount.objects.get(account_id=domain_id).account_name == ""
    assert CustomerAccount.objects.get(account_name="fine")
