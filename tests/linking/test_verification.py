"""The verification checklist: each check passing and failing, retries with backoff until success
or until the link is marked failing, the re-run page and the partial's query budget."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import ResellerRoleGroup, Role
from linking import services, tasks
from linking.checks import ItemSpec
from linking.models import Link, Notification, VerificationRun
from linking.outbox.delivery import notification_deliver
from linking.services.verification import verify_retry_delay
from portal.codes import CODES
from portal.emails import absolute_url
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, login
from tests.journeys import accepted_link, active_link

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])
MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=30,
)
Trigger = VerificationRun.Trigger


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


@pytest.fixture
def scheduled(monkeypatch):
    """The retries the task schedules, as (kwargs, countdown), instead of publishing them."""
    calls = []
    monkeypatch.setattr(
        tasks.link_verify_task,
        "apply_async",
        lambda kwargs, countdown: calls.append((kwargs, countdown)),
    )
    return calls


def verify(link, trigger=Trigger.MANUAL, actor=None, attempt=1) -> VerificationRun:
    return services.link_verify(link_id=link.pk, trigger=trigger, actor=actor, attempt=attempt)


def by_name(run) -> dict:
    return {check["name"]: check for check in run.checks}


def group(cast, role):
    return ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group


def assert_fails(run, name, code):
    check = by_name(run)[name]
    assert (check["passed"], check["code"], check["hint"]) == (False, code, CODES[code].hint)
    assert run.outcome == VerificationRun.Outcome.FAILED
    return check


# --- each check passing -----------------------------------------------------------------------


def test_read_only_delegation_passes_every_check(cast, capture):
    with capture():
        link = active_link(cast)
        run = verify(link, actor=cast.viewer)
    assert run.outcome == VerificationRun.Outcome.PASSED
    assert [c["name"] for c in run.checks] == [
        "status",
        "program",
        "scope_visible",
        "scope_present",
        "delegation",
        "audit_trail",
    ]
    assert all(c["passed"] and c["code"] == "" and c["hint"] == "" for c in run.checks)
    assert "managing them is refused" in by_name(run)["delegation"]["detail"]
    assert (run.trigger, run.triggered_by, run.attempt) == ("manual", cast.viewer, 1)
    assert run.finished_at is not None
    link.refresh_from_db()
    assert (link.verification_status, link.verified_at) == ("passing", run.finished_at)
    row = link.history.first()
    assert (row.history_user, row.history_change_reason) == (
        cast.viewer,
        "verification passed (6 checks)",
    )


def test_billing_link_runs_the_billing_check_instead_of_scope_and_delegation(cast, capture):
    with capture():
        run = verify(active_link(cast, [BILLING]))
    assert [c["name"] for c in run.checks] == [
        "status",
        "program",
        "scope_visible",
        "billing",
        "audit_trail",
    ]
    assert run.outcome == VerificationRun.Outcome.PASSED


def test_provisioning_link_checks_scope_but_not_billing_or_delegation(cast, capture):
    with capture():
        run = verify(active_link(cast, [PROVISIONING], customer=cast.customer2))
    assert [c["name"] for c in run.checks] == [
        "status",
        "program",
        "scope_visible",
        "scope_present",
        "audit_trail",
    ]
    assert run.outcome == VerificationRun.Outcome.PASSED


def test_manage_delegation_passes_when_an_operator_can_manage(cast, capture):
    with capture():
        run = verify(active_link(cast, [MANAGE]))
    assert run.outcome == VerificationRun.Outcome.PASSED
    assert "can manage delegated resources" in by_name(run)["delegation"]["detail"]


# --- each check failing -----------------------------------------------------------------------


def test_link_still_activating_fails_status_visibility_and_activation_trail(cast, capture):
    with capture():
        link = accepted_link(cast)
        cast.customer.status = "frozen"
        cast.customer.save()
        services.link_activate(link_id=link.pk)  # waits: the account is frozen
        run = verify(link)
    assert (
        assert_fails(run, "status", "LNK-Y001")["detail"] == "The link is activating, not active."
    )
    assert_fails(run, "scope_visible", "LNK-Y002")
    audit = assert_fails(run, "audit_trail", "LNK-Y006")
    assert audit["detail"] == "The audit trail lacks the activation."
    link.refresh_from_db()
    assert link.verification_status == "failing"
    assert link.history.first().history_change_reason == (
        "verification failed: LNK-Y001, LNK-Y002, LNK-Y005, LNK-Y006"
    )


def test_a_role_that_cannot_see_the_customer_fails_visibility(cast, capture):
    with capture():
        link = active_link(cast)
    remove_perm("linking.view_customeraccount", group(cast, Role.VIEWER), cast.customer)
    run = verify(link)
    check = assert_fails(run, "scope_visible", "LNK-Y002")
    assert "Roles without access: viewer." in check["detail"]
    assert cast.customer.formatted_id in check["detail"]
    assert [c["name"] for c in run.checks if not c["passed"]] == ["scope_visible"]


def test_a_service_withdrawn_from_the_catalog_fails_scope(cast, capture):
    with capture():
        link = active_link(cast)
    cast.obs.is_active = False
    cast.obs.save()
    check = assert_fails(verify(link), "scope_present", "LNK-Y003")
    assert check["detail"] == "Part of the granted scope is missing: service OBS."


def test_a_region_removed_from_the_customer_fails_scope(cast, capture):
    with capture():
        link = active_link(cast)
    cast.customer.regions.remove(cast.region_a)
    check = assert_fails(verify(link), "scope_present", "LNK-Y003")
    assert check["detail"] == "Part of the granted scope is missing: region ap-southeast-1."


def test_billing_permission_missing_fails_billing(cast, capture):
    with capture():
        link = active_link(cast, [BILLING])
    remove_perm("linking.bill_customeraccount", group(cast, Role.INITIATOR), cast.customer)
    check = assert_fails(verify(link), "billing", "LNK-Y004")
    assert "Roles without the billing permission: initiator." in check["detail"]


def test_read_only_delegation_that_allows_manage_fails(cast, capture):
    with capture():
        link = active_link(cast)
    assign_perm(
        "linking.delegate_manage_customeraccount", group(cast, Role.INITIATOR), cast.customer
    )
    check = assert_fails(verify(link), "delegation", "LNK-Y005")
    assert "can manage although the link grants read-only access" in check["detail"]
    assert cast.initiator.email in check["detail"]


def test_manage_delegation_without_the_manage_permission_fails(cast, capture):
    with capture():
        link = active_link(cast, [MANAGE])
    for role in (Role.ADMIN, Role.INITIATOR):
        remove_perm("linking.delegate_manage_customeraccount", group(cast, role), cast.customer)
    check = assert_fails(verify(link), "delegation", "LNK-Y005")
    assert "cannot manage delegated resources" in check["detail"]


def test_delegation_without_the_read_permission_fails(cast, capture):
    with capture():
        link = active_link(cast)
    for role in (Role.ADMIN, Role.INITIATOR):
        remove_perm("linking.delegate_read_customeraccount", group(cast, role), cast.customer)
    check = assert_fails(verify(link), "delegation", "LNK-Y005")
    assert "cannot read delegated resources" in check["detail"]


def test_a_link_without_a_consented_request_fails_the_audit_trail(cast):
    # No service makes a link without a request; this is the row such a bug would leave.
    link = Link(
        reseller=cast.reseller,
        customer=cast.customer2,
        link_type="provisioning",
        status=Link.Status.ACTIVE,
        services=["ECS"],
        regions=["ap-southeast-1"],
    )
    link._change_reason = "created by hand"
    link.save()
    services.link_sync_grants(
        actor=None, reseller_id=cast.reseller.pk, customer_id=cast.customer2.pk, reason="test"
    )
    run = verify(link)
    check = assert_fails(run, "audit_trail", "LNK-Y006")
    assert check["detail"] == "The audit trail lacks the customer's consent."
    assert [c["name"] for c in run.checks if not c["passed"]] == ["audit_trail"]


def test_someone_outside_the_reseller_cannot_run_the_checks(cast, capture):
    with capture():
        link = active_link(cast)
    with pytest.raises(PortalError) as error:
        verify(link, actor=cast.outsider)
    assert error.value.code == "LNK-V013"
    assert not link.verification_runs.exists()


# --- after activation, retries ----------------------------------------------------------------


def test_activation_schedules_the_verification_after_commit(cast, capture, monkeypatch):
    published = []
    monkeypatch.setattr(
        tasks.link_verify_task, "apply_async", lambda args, **kw: published.append(tuple(args))
    )
    with capture():
        link = accepted_link(cast)
    with capture() as callbacks:
        services.link_activate(link_id=link.pk)
    assert published == []
    for callback in callbacks:
        callback()
    assert published == [(link.pk,)]


def test_backoff_doubles_from_30_seconds_up_to_10_minutes():
    assert [verify_retry_delay(n) for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
    ]


def test_a_failed_run_is_retried_with_backoff_then_passes(cast, capture, scheduled):
    with capture():
        link = active_link(cast)
    remove_perm("linking.view_customeraccount", group(cast, Role.VIEWER), cast.customer)

    assert tasks.link_verify_task(link.pk) == "failed"
    assert scheduled == [({"link_id": link.pk, "trigger": "retry", "attempt": 2}, 30)]
    link.refresh_from_db()
    assert link.verification_status == "verifying"
    assert link.history.first().history_change_reason == (
        "verification failed: LNK-Y002 (attempt 1 of 5, retry in 30 s)"
    )

    assert tasks.link_verify_task(**scheduled[-1][0]) == "failed"
    assert scheduled[-1] == ({"link_id": link.pk, "trigger": "retry", "attempt": 3}, 60)

    # The grant propagates before the third attempt.
    services.link_sync_grants(
        actor=None, reseller_id=cast.reseller.pk, customer_id=cast.customer.pk, reason="test"
    )
    assert tasks.link_verify_task(**scheduled[-1][0]) == "passed"
    assert len(scheduled) == 2
    link.refresh_from_db()
    assert link.verification_status == "passing"
    runs = list(link.verification_runs.order_by("id").values_list("trigger", "attempt", "outcome"))
    assert runs == [
        ("activation", 1, "failed"),
        ("retry", 2, "failed"),
        ("retry", 3, "passed"),
    ]
    assert not Notification.objects.filter(kind="verification_failed").exists()


def test_retries_give_up_after_the_last_attempt_and_tell_the_initiator_once(
    cast, capture, scheduled, settings
):
    settings.PORTAL_VERIFY_ATTEMPTS = 3
    with capture():
        link = active_link(cast)
    remove_perm("linking.view_customeraccount", group(cast, Role.VIEWER), cast.customer)

    outcomes = [tasks.link_verify_task(link.pk)]
    # The worker's part: run each retry the previous run scheduled, until none is.
    while len(scheduled) == len(outcomes) < 10:
        outcomes.append(tasks.link_verify_task(**scheduled[-1][0]))
    assert outcomes == ["failed", "failed", "failed"]
    assert [countdown for _, countdown in scheduled] == [30, 60]
    assert link.verification_runs.count() == 3
    link.refresh_from_db()
    assert link.verification_status == "failing"
    assert link.history.first().history_change_reason == "verification failed: LNK-Y002"
    notice = Notification.objects.get(kind=Notification.Kind.VERIFICATION_FAILED)
    req = link.source_item.request
    assert (notice.to_email, notice.link, notice.request) == (cast.initiator.email, link, req)
    assert [f["code"] for f in notice.context["failures"]] == ["LNK-Y002"]

    # A late retry finds a newer run and does nothing; a failing manual run tells nobody again.
    assert tasks.link_verify_task(link.pk, trigger="retry", attempt=2) == "skipped"
    assert verify(link, actor=cast.viewer).outcome == "failed"
    assert Notification.objects.filter(kind="verification_failed").count() == 1

    notification_deliver(notification_id=notice.pk)
    message = mail.outbox[-1]
    assert message.to == [cast.initiator.email]
    assert link.reference in message.subject and "failing verification" in message.subject
    assert "LNK-Y002" in message.body
    assert CODES["LNK-Y002"].hint[:40] in message.body
    assert absolute_url(reverse("linking:link-detail", args=[link.pk])) in message.body
    html = message.alternatives[0][0]
    assert "LNK-Y002" in html and reverse("linking:link-detail", args=[link.pk]) in html


def test_a_retry_after_a_passing_manual_run_is_skipped(cast, capture, scheduled):
    with capture():
        link = active_link(cast)
    remove_perm("linking.view_customeraccount", group(cast, Role.VIEWER), cast.customer)
    tasks.link_verify_task(link.pk)
    services.link_sync_grants(
        actor=None, reseller_id=cast.reseller.pk, customer_id=cast.customer.pk, reason="test"
    )
    assert verify(link, actor=cast.viewer).outcome == "passed"

    assert tasks.link_verify_task(**scheduled[-1][0]) == "skipped"
    assert link.verification_runs.count() == 2
    link.refresh_from_db()
    assert link.verification_status == "passing"


# --- the re-run page --------------------------------------------------------------------------


def url(link):
    return reverse("linking:link-verify", args=[link.pk])


def test_it_sends_anonymous_to_login(client, cast, capture):
    with capture():
        link = active_link(cast)
    response = client.post(url(link))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert not link.verification_runs.exists()


def test_it_hides_the_link_from_another_reseller(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.outsider)
    assert client.post(url(link)).status_code == 404
    assert not link.verification_runs.exists()


def test_it_accepts_only_post(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.viewer)
    assert client.get(url(link)).status_code == 405
    assert not link.verification_runs.exists()


def test_it_lets_a_viewer_rerun_the_checks(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.viewer)
    response = client.post(url(link), follow=True)
    assert response.redirect_chain == [(reverse("linking:link-detail", args=[link.pk]), 302)]
    run = link.verification_runs.get()
    assert (run.trigger, run.triggered_by, run.outcome) == ("manual", cast.viewer, "passed")
    body = response.content.decode()
    assert f"Verification of {link.reference} passed (6 checks)." in body
    assert 'id="verification-checks"' in body
    assert "Re-run on demand" in body


def test_it_shows_what_failed_and_what_to_do(client, cast, capture):
    with capture():
        link = active_link(cast)
    cast.obs.is_active = False
    cast.obs.save()
    login(client, cast.admin)
    body = client.post(url(link), follow=True).content.decode()
    assert f"Verification of {link.reference} failed: LNK-Y003." in body
    assert "Part of the granted scope is missing: service OBS." in body
    assert "Amend the link to the scope that exists" in body
    assert 'data-check="scope_present" data-passed="no"' in body


def test_link_page_costs_the_same_with_1_and_10_runs(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.viewer)
    target = reverse("linking:link-detail", args=[link.pk])

    def queries() -> int:
        client.get(target)  # warm the caches (content types, sessions)
        with CaptureQueriesContext(connection) as context:
            response = client.get(target)
        assert response.status_code == 200
        return len(context.captured_queries)

    verify(link, actor=cast.viewer)
    one = queries()
    for _ in range(9):
        verify(link, actor=cast.admin)
    assert queries() == one
    body = client.get(target).content.decode()
    assert body.count("Re-run on demand") == 10
