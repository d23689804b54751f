"""Where the synced facts show: the command, the beat task, the connection page, the wizard's
account check, the directory import's provenance and the words of one fact's source and age."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from linking.batches import directory
from linking.checks import check_customer
from linking.cloud.models import CloudConnection
from linking.cloud.sync import cloud_sync
from linking.cloud.tasks import cloud_sync_sweep_task, cloud_sync_task
from linking.models import CustomerAccount
from linking.provenance import FactSource, Provenance
from portal.settings import CELERY_BEAT_SCHEDULE
from tests.cloud.connection_setup import connect_to_sandbox
from tests.cloud.sync_setup import associated_customer, connected
from tests.conftest import login
from tests.factories import UserFactory
from tests.journeys import accepted_link


def test_the_command_prints_what_the_sync_did(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    cloud.control.bulk_customers(partner, 120, name_prefix="cmd-")
    out = StringIO()

    call_command("cloud_sync", "--reseller", sync_cast.reseller.partner_id, stdout=out)

    line = out.getvalue()
    assert line.startswith(
        "P-100001: 2 pages, 120 customers listed: 120 new, 0 changed, 0 unchanged, "
        "0 no longer associated in "
    )
    assert line.rstrip().endswith(" s")
    out = StringIO()
    call_command("cloud_sync", stdout=out)
    assert "0 new, 0 changed, 120 unchanged" in out.getvalue()


def test_the_command_reports_a_failure_with_its_code_and_exits_non_zero(sync_cast, cloud):
    connect_to_sandbox(sync_cast, cloud, secret_key="WrongSecretOfThePartner0123456789abcdef")
    err = StringIO()

    with pytest.raises(CommandError, match="1 of 1 syncs did not complete"):
        call_command("cloud_sync", stdout=StringIO(), stderr=err)

    assert "P-100001: LNK-N003 The cloud refused your partner access key" in err.getvalue()


def test_the_command_refuses_an_unknown_reseller(db):
    with pytest.raises(CommandError, match="No reseller with partner id"):
        call_command("cloud_sync", "--reseller", "P-999999")


def test_beat_asks_for_a_sync_of_every_connected_live_reseller(sync_cast, cloud, monkeypatch):
    connected(sync_cast, cloud)
    published = []
    monkeypatch.setattr(
        "linking.cloud.tasks.publish_many_now",
        lambda task, calls: published.extend(calls) or len(calls),
    )

    assert cloud_sync_sweep_task() == 1

    assert published == [(sync_cast.reseller.pk,)]
    entry = CELERY_BEAT_SCHEDULE["cloud-sync"]
    assert entry["task"] == "linking.cloud.tasks.cloud_sync_sweep_task"
    assert entry["options"]["expires"] < entry["schedule"]


def test_the_task_syncs_one_reseller(sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    associated_customer(cloud, partner, "by-task")

    assert cloud_sync_task(sync_cast.reseller.pk) == "ok"
    assert cloud_sync_task(0) == "gone"
    assert CustomerAccount.objects.filter(account_name="by-task").exists()


def test_the_connection_page_shows_the_last_sync_and_a_failure_with_its_age(
    client, sync_cast, cloud
):
    connect_to_sandbox(sync_cast, cloud, secret_key="WrongSecretOfThePartner0123456789abcdef")
    login(client, sync_cast.admin)
    page = reverse("cloud:connection")
    assert 'data-sync-status="never"' in client.get(page).content.decode()

    cloud_sync(reseller=sync_cast.reseller)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        body = client.get(page).content.decode()

    assert 'data-sync-status="failed"' in body
    assert "(3 minutes ago)" in body
    assert "<code>LNK-N003</code>" in body
    assert "No sync has completed yet." in body


def test_the_connection_page_shows_a_completed_sync(client, sync_cast, cloud):
    partner = connected(sync_cast, cloud)
    associated_customer(cloud, partner, "shown")
    cloud_sync(reseller=sync_cast.reseller)
    login(client, sync_cast.admin)

    body = client.get(reverse("cloud:connection")).content.decode()

    assert 'data-sync-status="ok"' in body
    assert "1 customer listed (1 new, 0 changed, 0 unchanged, 0 no longer associated)" in body


def test_the_wizard_account_check_shows_the_facts_with_their_source_and_age(
    client, sync_cast, cloud
):
    partner = connected(sync_cast, cloud)
    domain_id = associated_customer(
        cloud, partner, "checked", display_name="Checked Ltd", frozen=True, verified_status="0"
    )
    cloud_sync(reseller=sync_cast.reseller)
    login(client, sync_cast.admin)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        body = client.get(
            reverse("linking:account-check"), {"account_id": domain_id}
        ).content.decode()

    assert "is frozen — last confirmed by Huawei Cloud 25 hours ago, may be out of date" in body
    assert "verification in review" in body
    assert 'data-fact="status" data-stale' in body
    assert "consultative sales since" in body


def test_the_directory_import_marks_what_it_writes_as_the_staff_imports(sync_cast):
    staff = UserFactory(is_staff=True, is_superuser=True)
    domain_id = "0123456789abcdef0123456789abcdef"
    csv = f"account_id,display_name,status\n{domain_id},Imported Ltd,frozen\n".encode()
    imp = directory.directory_import_upload(actor=staff, file_name="d.csv", data=csv)

    directory.directory_import_apply(actor=staff, import_id=imp.pk)

    customer = CustomerAccount.objects.get(account_id=domain_id)
    assert customer.status_source == customer.details_source == FactSource.STAFF_IMPORT
    words = customer.status_provenance.words()
    day = timezone.localdate(customer.status_confirmed_at).isoformat()
    assert words == f"per the staff import of {day}"
    [refusal] = [r for r in check_customer(sync_cast.reseller, customer) if r.code == "LNK-V003"]
    assert refusal.message == (
        f"Customer account {domain_id} is frozen — per the staff import of {day}."
    )


def test_provenance_words_for_each_source_and_age():
    now = timezone.now()
    cloud = Provenance(FactSource.CLOUD, now - timedelta(minutes=3))
    assert cloud.words(now) == "confirmed by Huawei Cloud 3 minutes ago"
    assert Provenance(FactSource.CLOUD, now - timedelta(seconds=20)).words(now) == (
        "confirmed by Huawei Cloud less than a minute ago"
    )
    old = Provenance(FactSource.CLOUD, now - timedelta(days=3))
    assert old.is_stale(now)
    assert old.words(now) == "last confirmed by Huawei Cloud 3 days ago, may be out of date"
    assert not Provenance(FactSource.STAFF_IMPORT, now - timedelta(days=300)).is_stale(now)
    assert Provenance("", None).words(now) == "as the directory holds it, with no source recorded"


def test_the_stale_threshold_is_a_setting(settings):
    settings.PORTAL_CLOUD_FACTS_STALE_HOURS = 1
    now = timezone.now()
    assert Provenance(FactSource.CLOUD, now - timedelta(minutes=61)).is_stale(now)
    assert not Provenance(FactSource.CLOUD, now - timedelta(minutes=59)).is_stale(now)


def test_the_customer_page_shows_the_facts_with_their_source_and_age(client, cast):
    link = accepted_link(cast)
    customer = CustomerAccount.objects.get(pk=link.customer_id)
    customer.status_source = FactSource.STAFF_IMPORT
    customer.status_confirmed_at = timezone.now() - timedelta(days=4)
    customer.save_without_historical_record()
    login(client, cast.viewer)

    body = client.get(reverse("linking:customer-detail", args=[customer.pk])).content.decode()

    day = timezone.localdate(customer.status_confirmed_at).isoformat()
    assert f'Active <span class="text-muted">— per the staff import of {day}</span>' in body
    assert "not reported by Huawei Cloud" in body


def test_a_sync_inside_a_transaction_is_refused(sync_cast, cloud):
    from django.db import transaction

    from linking.cloud.types import CloudCallInTransaction

    connected(sync_cast, cloud)
    with pytest.raises(CloudCallInTransaction), transaction.atomic():
        cloud_sync(reseller=sync_cast.reseller)


def test_a_second_sync_of_the_same_reseller_waits_for_the_first(sync_cast, cloud):
    from django.core.cache import cache

    connected(sync_cast, cloud)
    cache.add(f"cloud-sync:{sync_cast.reseller.pk}", 1, 60)

    assert cloud_sync(reseller=sync_cast.reseller).outcome == "busy"


def test_a_sync_that_never_finished_shows_as_such(client, sync_cast, cloud):
    connected(sync_cast, cloud)
    started = timezone.now() - timedelta(minutes=45)
    CloudConnection.objects.filter(reseller=sync_cast.reseller).update(sync_started_at=started)
    login(client, sync_cast.admin)

    body = client.get(reverse("cloud:connection")).content.decode()

    assert "(45 minutes ago) has not finished; it has taken longer than any sync should" in body
