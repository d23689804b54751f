"""Clean-up when a link ends, against the sandbox cloud over HTTP: the portal's access goes at
once; the customer is told what to delete (the agency by name, `terraform destroy`, the CLI);
the clean-up checks keep going until the agency can no longer be assumed (cleaned up) or, after
the window, show it still reachable; a cloud that fails proves nothing. Revoke, withdrawal by
the customer, expiry, and a billing association that ends with its month."""

import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import ResellerRoleGroup, Role, User
from linking import services, tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.models import CloudConnection
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.cloud.setup_formats import terraform_address
from linking.models import Link, Notification, VerificationRun
from linking.outbox.delivery import notification_deliver
from linking.services.cleanup import cleanup_check_delay, link_cleanup_claim_due
from linking.services.revocation import billing_month_end
from linking.webhooks.models import WebhookDelivery
from tests.cloud.test_sandbox_console import PASSWORD
from tests.cloud.test_sandbox_console import Browser as ConsoleBrowser
from tests.conftest import cast_shared_by_the_module, code_from_page, login
from tests.journeys import active_link, connect_reseller
from tests.webhooks.conftest import receiver, register  # noqa: F401 (the receiver fixture)

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

REGION = "ap-southeast-1"
READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="read_only",
    duration_days=30,
)
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=[REGION])
BILLING = ItemSpec(link_type="billing")


@pytest.fixture(autouse=True)
def _fresh_credentials():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


@pytest.fixture
def live(cast, cloud, django_capture_on_commit_callbacks):
    """A connected reseller; `live(spec)` is a link proven in the sandbox cloud, active."""
    connect_reseller(cast, cloud)

    def make(spec=READ_ONLY):
        with django_capture_on_commit_callbacks(execute=False):
            link = active_link(cast, [spec], cloud=cloud)
        assert link.status == Link.Status.ACTIVE
        return link

    return make


@pytest.fixture
def quiet(django_capture_on_commit_callbacks):
    """Services run with their after-commit tasks captured, not published."""

    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def held(cast, role=Role.VIEWER) -> set[str]:
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group
    return set(
        group.customeraccountgroupobjectpermission_set.values_list(
            "permission__codename", flat=True
        )
    )


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def revoke(cast, link, quiet) -> Link:
    with quiet():
        return services.link_revoke(
            actor=cast.approver,
            link_id=link.pk,
            reason="contract ended",
            confirm_reference=link.reference,
        )


@contextmanager
def sandbox_time(cloud, moment):
    """The portal and the sandbox both at `moment` (the SDK signs with the portal's clock)."""
    with time_machine.travel(moment, tick=False):
        cloud.control.set_clock(timezone.now())
        try:
            yield
        finally:
            cloud.control.real_clock()


def check(link) -> str:
    return tasks.link_cleanup_check_task(link.pk)


def delete_agency(cloud, link) -> None:
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))


def deliver(notification) -> mail.EmailMessage:
    mail.outbox.clear()
    assert notification_deliver(notification_id=notification.pk) == "sent"
    [message] = mail.outbox
    return message


def notice(link, kind, audience) -> Notification:
    return next(
        n
        for n in Notification.objects.filter(link=link, kind=kind).order_by("id")
        if n.context.get("audience", "reseller") == audience
    )


# --- revoke: access goes at once, the customer is told what to delete -------------------------


def test_revoking_removes_the_operators_access_at_once_and_starts_the_cleanup(
    client, cast, live, quiet
):
    link = live()
    assert "delegate_read_customeraccount" in held(cast, Role.INITIATOR)
    assert fresh(cast.initiator).has_perm("linking.delegate_read_customeraccount", cast.customer)
    before = timezone.now()

    link = revoke(cast, link, quiet)

    # In the transaction of the revocation, before any task or clean-up check ran.
    assert held(cast) == held(cast, Role.INITIATOR) == set()
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert not fresh(user).has_perm("linking.view_customeraccount", cast.customer)
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", cast.customer)
    link.refresh_from_db()
    assert (link.status, link.cleanup_status) == ("revoked", "pending")
    assert link.cleanup_deadline - link.cleanup_started_at == timedelta(days=14)
    assert before <= link.cleanup_started_at <= timezone.now()
    assert link.next_cleanup_check_at == link.cleanup_started_at + timedelta(minutes=1)
    assert link.history.first().cleanup_status == "pending"
    login(client, cast.viewer)
    page = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'id="link-cleanup" data-cleanup="pending"' in page
    assert f"delete the agency “{agency_name_for(link)}”" in page


@pytest.mark.parametrize("spec", [READ_ONLY, PROVISIONING], ids=["delegation", "provisioning"])
def test_the_customers_revocation_email_names_what_to_delete(cast, live, quiet, spec):
    link = revoke(cast, live(spec), quiet)
    agency = agency_name_for(link)
    partner = CloudConnection.objects.get(reseller=cast.reseller).partner_account_name

    message = deliver(notice(link, Notification.Kind.LINK_REVOKED, "customer"))

    body, html = message.body, message.alternatives[0][0]
    assert "What to delete in Huawei Cloud" in body
    assert f'Agency name: "{agency}"' in body and f'Delegated account: "{partner}"' in body
    assert "choose Agencies" in body and "Choose Delete in its row" in body
    assert f"terraform destroy -target={terraform_address(link.reference)}" in body
    assert "hcloud IAM ListAgencies" in body and f"--name={agency}" in body
    assert "hcloud IAM DeleteAgency" in body
    assert agency in html and "terraform destroy -target=" in html and "DeleteAgency" in html
    # The reseller's copy says the access is gone; the clean-up steps are the customer's.
    reseller = deliver(notice(link, Notification.Kind.LINK_REVOKED, "reseller"))
    assert "What to delete in Huawei Cloud" not in reseller.body


# --- the checks: cleaned up, still reachable, a cloud that fails ------------------------------


def test_cleanup_verified_once_the_customer_deletes_the_agency(
    client,
    cast,
    cloud,
    live,
    quiet,
    receiver,  # noqa: F811 (the fixture)
):
    register(cast, receiver, events=["link.cleaned_up"])
    # The customer's account in the sandbox, with a password for its console.
    domain_id = customer_domain_id(cast.customer)
    cloud.control.create_account(f"acme-{domain_id[-8:]}", domain_id=domain_id, password=PASSWORD)
    link = revoke(cast, live(), quiet)
    agency = agency_name_for(link)

    assert check(link) == "failed"  # the agency is still in place, within the window
    link.refresh_from_db()
    assert (link.cleanup_status, link.cleanup_checks) == ("pending", 1)
    run = link.verification_runs.get(trigger=VerificationRun.Trigger.CLEANUP)
    [still] = run.checks
    assert (still["code"], still["evidence"][0]["answer"]) == ("LNK-Y020", "allowed")

    # The customer follows the e-mail's steps in the sandbox console: the agency by name, Delete.
    console = ConsoleBrowser(cloud.url)
    console.sign_in(f"acme-{domain_id[-8:]}")
    assert agency in console.get("/console/").text
    deleted = console.post(f"/console/agencies/{agency}/delete/")
    assert f"Agency {agency} deleted." in deleted.text
    assert check(link) == "passed"

    link.refresh_from_db()
    assert (link.cleanup_status, link.next_cleanup_check_at) == ("cleaned_up", None)
    assert link.get_cleanup_status_display() == "Cleaned up"
    run = link.verification_runs.filter(trigger="cleanup").latest("id")
    assert (run.outcome, run.attempt, run.cloud_calls) == ("passed", 2, 1)
    assert run.partner_domain_id == CloudConnection.objects.get().partner_domain_id
    [call] = run.checks[0]["evidence"]
    assert call["operation"] == "CreateTemporaryAccessKeyByAgency"
    # The agency is not found (or refused): the cloud's own answer, with its time.
    assert call["code"] == "LNK-G002" and call["answer"] in ("refused", "failed")
    assert call["status"] in (403, 404) and call["at"] and call["request_id"]
    reasons = list(link.history.values_list("history_change_reason", flat=True))
    assert any(r.startswith("cleaned up: the agency is gone") for r in reasons)
    # The reseller's systems hear of it once, in the transaction of the change.
    [event] = WebhookDelivery.objects.filter(event_type="link.cleaned_up")
    data = json.loads(event.body)["data"]
    assert (data["reference"], data["cleanup_status"]) == (link.reference, "cleaned_up")
    assert check(link) == "skipped"
    assert link_cleanup_claim_due() == []
    assert WebhookDelivery.objects.filter(event_type="link.cleaned_up").count() == 1
    login(client, cast.viewer)
    page = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'id="link-cleanup" data-cleanup="cleaned_up"' in page
    assert "Clean-up in the cloud: Clean-up pending → Cleaned up" in page.replace("&gt;", ">")


def test_cleanup_refused_the_agency_left_in_place_is_still_reachable_after_the_window(
    client, cast, cloud, live, quiet
):
    link = revoke(cast, live(), quiet)
    link.refresh_from_db()

    with sandbox_time(cloud, link.cleanup_deadline - timedelta(minutes=1)):
        assert check(link) == "failed"
    link.refresh_from_db()
    assert link.cleanup_status == "pending"
    assert link.next_cleanup_check_at == link.cleanup_deadline  # the window's end, checked
    assert not Notification.objects.filter(kind="cleanup_overdue").exists()

    with sandbox_time(cloud, link.cleanup_deadline + timedelta(minutes=1)), quiet():
        assert check(link) == "failed"
    link.refresh_from_db()
    assert link.cleanup_status == "still_reachable"
    assert link.next_cleanup_check_at - link.cleanup_checked_at == timedelta(days=1)
    row = link.history.first()
    assert row.cleanup_status == "still_reachable"
    assert row.history_change_reason == "still reachable 14 days after the link ended: LNK-Y020"

    # The reseller's admins are told, with the evidence's code and what to do.
    [overdue] = Notification.objects.filter(kind="cleanup_overdue")
    assert overdue.to_email == cast.admin.email
    message = deliver(overdue)
    assert link.reference in message.subject and "Still reachable" in message.subject
    assert "14 days later" in message.body and "LNK-Y020" in message.body
    assert agency_name_for(link) in message.body and "terraform destroy" in message.body

    # On the link page and in the links list, with its filter.
    login(client, cast.viewer)
    page = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'id="link-cleanup" data-cleanup="still_reachable"' in page
    assert agency_name_for(link) in page
    rows = client.get(reverse("linking:link-list"), {"cleanup": "still_reachable"}).content
    assert link.reference in rows.decode() and 'data-cleanup="still_reachable"' in rows.decode()
    none = client.get(reverse("linking:link-list"), {"cleanup": "cleaned_up"}).content.decode()
    assert link.reference not in none

    # The auditors: a column and a filter in the admin.
    client.force_login(cast.auditor)
    changelist = reverse("admin:linking_link_changelist")
    body = client.get(changelist, {"cleanup_status__exact": "still_reachable"}).content.decode()
    assert link.reference in body and "Still reachable" in body
    body = client.get(changelist, {"cleanup_status__exact": "cleaned_up"}).content.decode()
    assert link.reference not in body

    # Deleted later still counts: the daily check marks it cleaned up.
    delete_agency(cloud, link)
    with sandbox_time(cloud, link.next_cleanup_check_at + timedelta(minutes=1)):
        assert check(link) == "passed"
    link.refresh_from_db()
    assert link.cleanup_status == "cleaned_up"


@pytest.mark.parametrize(("kind", "code"), [("error", "LNK-N005"), ("throttle", "LNK-N002")])
def test_a_cloud_that_fails_is_retried_and_never_counted_as_cleaned_up(
    cast, cloud, live, quiet, kind, code
):
    link = revoke(cast, live(), quiet)
    delete_agency(cloud, link)
    cloud.control.add_fault("CreateTemporaryAccessKeyByAgency", kind, times=20, status=503)
    link.refresh_from_db()

    with sandbox_time(cloud, link.cleanup_deadline + timedelta(minutes=1)):
        assert check(link) == "failed"
    link.refresh_from_db()
    # Not cleaned up, and not "still reachable" either: nothing was proven past the window.
    assert link.cleanup_status == "pending"
    assert link.next_cleanup_check_at > link.cleanup_checked_at
    [failed] = link.verification_runs.get(trigger="cleanup").checks
    assert failed["code"] == code and failed["stage"] == "connection"

    cloud.control.clear_faults()
    assert check(link) == "passed"
    link.refresh_from_db()
    assert link.cleanup_status == "cleaned_up"


def test_without_a_cloud_connection_nothing_is_proven(cast, live, quiet):
    link = revoke(cast, live(), quiet)
    CloudConnection.objects.filter(reseller=cast.reseller).delete()
    assert check(link) == "failed"
    link.refresh_from_db()
    assert link.cleanup_status == "pending"
    [failed] = link.verification_runs.get(trigger="cleanup").checks
    assert failed["code"] == "LNK-Y007"


def test_the_sweep_claims_due_checks_once_per_lease_with_backoff(cast, live, quiet):
    link = revoke(cast, live(), quiet)
    assert link_cleanup_claim_due() == []  # the first check is a minute away
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert link_cleanup_claim_due() == [link.pk]
        assert link_cleanup_claim_due() == []  # claimed: not asked again while it runs
    minutes = [cleanup_check_delay(n) / timedelta(minutes=1) for n in range(1, 7)]
    assert minutes == [1, 5, 15, 60, 360, 360]


# --- the customer's withdrawal ---------------------------------------------------------------


def test_withdrawal_shows_the_customer_what_to_delete_and_the_check_follows(
    client, cast, cloud, live, quiet
):
    link = live()
    receipt = Notification.objects.filter(
        request=link.source_item.request, kind=Notification.Kind.CONSENT_RECEIPT
    ).latest("id")
    assert notification_deliver(notification_id=receipt.pk) == "sent"
    path = re.search(r"http://testserver(/consent/withdraw/[^/\s]+/)", mail.outbox[-1].body)[1]
    asked = client.get(path).content.decode()
    assert 'id="withdraw-cleanup"' in asked and agency_name_for(link) in asked

    code = code_from_page(client, path)
    with quiet():
        done = client.post(path, {"confirm": "1", "code": code})

    assert done.status_code == 200
    page = done.content.decode()
    agency = agency_name_for(link)
    assert 'id="cleanup"' in page and f'data-agency="{agency}"' in page
    assert f'data-copy="{agency}"' in page
    assert f"terraform destroy -target={terraform_address(link.reference)}" in page
    assert "hcloud IAM DeleteAgency" in page
    link.refresh_from_db()
    assert (link.status, link.cleanup_status) == ("revoked", "pending")
    assert held(cast) == set()
    message = deliver(notice(link, Notification.Kind.LINK_REVOKED, "customer"))
    assert f'Agency name: "{agency}"' in message.body

    delete_agency(cloud, link)
    assert check(link) == "passed"


# --- expiry ----------------------------------------------------------------------------------


def test_expiry_tells_the_customer_what_to_delete_and_checks_until_it_is_gone(
    cast, cloud, live, quiet
):
    link = live(READ_ONLY)
    assert "delegate_read_customeraccount" in held(cast, Role.INITIATOR)
    ended = link.ends_at + timedelta(minutes=1)
    with time_machine.travel(ended, tick=False), quiet():
        assert services.link_expire_due() == 1
    link.refresh_from_db()
    assert (link.status, link.cleanup_status) == ("expired", "pending")
    assert held(cast, Role.INITIATOR) == set()

    message = deliver(notice(link, Notification.Kind.LINK_EXPIRED, "customer"))
    assert message.to == [cast.customer.contact_email]
    assert "access to your account has ended" in message.subject
    assert f'Agency name: "{agency_name_for(link)}"' in message.body
    assert f"terraform destroy -target={terraform_address(link.reference)}" in message.body
    assert "/links/" not in message.body  # the customer has no link page
    reseller = deliver(notice(link, Notification.Kind.LINK_EXPIRED, "reseller"))
    assert "The customer was told what to delete" in reseller.body

    with sandbox_time(cloud, ended + timedelta(minutes=5)):
        assert check(link) == "failed"
        delete_agency(cloud, link)
        assert check(link) == "passed"
    link.refresh_from_db()
    assert link.cleanup_status == "cleaned_up"


# --- billing: cleaned up when the association is no longer reported --------------------------


def test_a_revoked_billing_association_is_checked_after_its_month_end(cast, cloud, live, quiet):
    link = revoke(cast, live(BILLING), quiet)
    link.refresh_from_db()
    # Still in force to the month's end: nothing to clean up yet.
    assert (link.status, link.cleanup_status) == ("revoking", "")
    message = deliver(notice(link, Notification.Kind.LINK_REVOKED, "customer"))
    assert "Nothing to delete now" in message.body and "Partner account" in message.body
    assert "What to delete" not in message.body and "terraform" not in message.body

    after = billing_month_end(link.revoked_at) + timedelta(minutes=1)
    with time_machine.travel(after, tick=False), quiet():
        assert services.link_expire_due() == 1
    link.refresh_from_db()
    assert (link.status, link.cleanup_status) == ("revoked", "pending")

    connection = CloudConnection.objects.get(reseller=cast.reseller)
    with sandbox_time(cloud, after + timedelta(minutes=5)):
        assert check(link) == "failed"
        [still] = link.verification_runs.get(trigger="cleanup").checks
        assert still["code"] == "LNK-Y021"
        cloud.control.dissociate(connection.partner_domain_id, customer_domain_id(link.customer))
        assert check(link) == "passed"
    link.refresh_from_db()
    assert link.cleanup_status == "cleaned_up"
    run = link.verification_runs.filter(trigger="cleanup").latest("id")
    assert run.checks[0]["evidence"][0]["operation"] == "ListSubCustomers"


# --- a new request starts the link afresh ----------------------------------------------------


def test_a_new_accepted_request_clears_the_old_cleanup(cast, live, quiet):
    from tests.journeys import accepted

    link = revoke(cast, live(), quiet)
    with quiet():
        accepted(cast, [READ_ONLY])
    link.refresh_from_db()
    assert (link.status, link.cleanup_status, link.next_cleanup_check_at) == (
        "activating",
        "",
        None,
    )
    assert check(link) == "skipped"


# --- a setup not done in time ------------------------------------------------------------------


def test_a_setup_not_done_in_time_checks_that_nothing_is_left(
    cast, cloud, quiet, settings, django_capture_on_commit_callbacks
):
    from tests.journeys import awaiting_setup_link, complete_cloud_side

    connect_reseller(cast, cloud)
    with quiet():
        link = awaiting_setup_link(cast, [READ_ONLY])
    # The window ends as the link starts waiting.
    Link.objects.filter(pk=link.pk).update(setup_deadline=timezone.now())
    # The customer made the agency, broader than consented: it never proves the link.
    complete_cloud_side(cast, cloud, link, roles={REGION: ["ECS FullAccess"]})
    with quiet():
        assert tasks.link_setup_check_task(link.pk, "setup") == "failed"
    link.refresh_from_db()
    assert (link.status, link.cleanup_status) == ("setup_expired", "pending")

    message = deliver(notice(link, Notification.Kind.SETUP_EXPIRED, "customer"))
    assert "If you created an agency" in message.body
    assert f'Agency name: "{agency_name_for(link)}"' in message.body

    assert check(link) == "failed"
    delete_agency(cloud, link)
    assert check(link) == "passed"
    link.refresh_from_db()
    assert link.cleanup_status == "cleaned_up"
