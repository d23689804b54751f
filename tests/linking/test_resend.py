"""Resending the consent e-mail: the old link dies at once, the address must be the directory's,
the deadline stays within the policy, resends are rate-limited; and the view that does it."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linking import services
from linking.consent.services import consent_resolve
from linking.models import LinkRequest, Notification
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, login
from tests.journeys import waiting_for_customer

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
Kind = Notification.Kind


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) + timedelta(minutes=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def resend(cast, req, when, *, actor=None, **kwargs):
    with at(when):
        return services.link_request_resend(
            actor=actor or cast.initiator, request_id=req.pk, **kwargs
        )


def refused(code, cast, req, when, **kwargs) -> PortalError:
    with pytest.raises(PortalError) as info:
        resend(cast, req, when, **kwargs)
    assert info.value.code == code
    return info.value


def consent_requests(req):
    return Notification.objects.filter(request=req, kind=Kind.CONSENT_REQUEST).order_by("id")


# --- the token ----------------------------------------------------------------------------


def test_a_resend_kills_the_old_link_at_once_and_the_new_e_mail_brings_a_working_one(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(minutes=1)):
        old = consent_token_for(req)
        assert consent_resolve(old).pk == req.pk
    resend(cast, req, start + timedelta(minutes=20))
    req.refresh_from_db()
    assert req.consent_token_hash == ""
    assert req.consent_sent_at is None
    with at(start + timedelta(minutes=21)):
        with pytest.raises(PortalError) as info:
            consent_resolve(old)
        assert info.value.code == "LNK-C003"
        _first, again = consent_requests(req)
        assert again.status == Notification.Status.QUEUED
        assert again.to_email == cast.customer.contact_email
        new = consent_token_for(req)
        assert new != old
        assert consent_resolve(new).pk == req.pk
        with pytest.raises(PortalError):
            consent_resolve(old)


def test_a_resend_is_recorded_with_its_actor_and_reason(cast, start):
    req = waiting_for_customer(cast, start)
    when = start + timedelta(hours=1)
    req = resend(cast, req, when)
    req.refresh_from_db()
    assert req.resend_count == 1
    assert req.last_resent_at == when
    assert req.status == Status.PENDING_CONSENT
    assert req.consent_deadline == start + timedelta(days=7)
    history = req.history.first()
    assert history.history_user == cast.initiator
    assert history.history_change_reason == (
        f"consent e-mail resent to {cast.customer.contact_email}"
    )


def test_an_admin_may_resend_someone_elses_request(cast, start):
    req = waiting_for_customer(cast, start)
    resend(cast, req, start + timedelta(hours=1), actor=cast.admin)
    assert req.history.first().history_user == cast.admin


@pytest.mark.parametrize("who", ["viewer", "approver", "outsider"])
def test_roles_without_initiation_are_refused(cast, start, who):
    req = waiting_for_customer(cast, start)
    refused("LNK-V013", cast, req, start + timedelta(hours=1), actor=getattr(cast, who))
    assert consent_requests(req).count() == 1


def test_only_a_waiting_request_can_be_resent(cast, start):
    req = waiting_for_customer(cast, start)
    refused("LNK-S001", cast, req, start + timedelta(days=7, minutes=1))
    with at(start + timedelta(hours=1)):
        services.link_request_cancel(actor=cast.initiator, request_id=req.pk)
    refused("LNK-S001", cast, req, start + timedelta(hours=2))


# --- the rate limit -----------------------------------------------------------------------


def test_resends_are_rate_limited_with_the_time_of_the_next_one(cast, start, settings):
    settings.PORTAL_RESEND_COOLDOWN_MINUTES = 15
    req = waiting_for_customer(cast, start)
    error = refused("LNK-R001", cast, req, start + timedelta(minutes=14))
    allowed = timezone.localtime(start + timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert "15 minutes" in error.message
    assert allowed in error.hint
    resend(cast, req, start + timedelta(minutes=15))
    refused("LNK-R001", cast, req, start + timedelta(minutes=29))
    resend(cast, req, start + timedelta(minutes=30))
    req.refresh_from_db()
    assert req.resend_count == 2
    assert consent_requests(req).count() == 3


def test_resends_stop_at_the_maximum(cast, start, settings):
    settings.PORTAL_RESEND_MAX = 2
    req = waiting_for_customer(cast, start)
    resend(cast, req, start + timedelta(hours=1))
    resend(cast, req, start + timedelta(hours=2))
    error = refused("LNK-R002", cast, req, start + timedelta(hours=3))
    assert "2 times" in error.message
    req.refresh_from_db()
    assert req.resend_count == 2


# --- the address --------------------------------------------------------------------------


def test_an_address_that_is_not_the_directorys_is_refused(cast, start):
    req = waiting_for_customer(cast, start)
    error = refused(
        "LNK-R003", cast, req, start + timedelta(hours=1), contact_email="someone@else.example"
    )
    assert "someone@else.example" in error.message
    req.refresh_from_db()
    assert req.resend_count == 0
    assert req.consent_email == cast.customer.contact_email
    assert consent_requests(req).count() == 1


def test_the_directorys_corrected_address_is_accepted(cast, start):
    req = waiting_for_customer(cast, start)
    cast.customer.contact_email = "it-lead@acme.example"
    cast.customer.save()
    resend(cast, req, start + timedelta(hours=1), contact_email=" IT-Lead@Acme.example ")
    req.refresh_from_db()
    assert req.consent_email == "it-lead@acme.example"
    assert consent_requests(req).last().to_email == "it-lead@acme.example"
    assert req.history.first().history_change_reason == (
        "consent e-mail resent to it-lead@acme.example"
    )


# --- the deadline -------------------------------------------------------------------------


def test_an_extension_moves_the_deadline_and_the_reminders(cast, start):
    req = waiting_for_customer(cast, start)
    when = start + timedelta(days=1)
    resend(cast, req, when, extend_days=14)
    req.refresh_from_db()
    assert req.consent_deadline == when + timedelta(days=14)
    # The window now runs from the start of the wait to the new deadline: halfway is 7.5 days.
    assert req.next_reminder_at == start + timedelta(days=7, hours=12)
    expected = timezone.localtime(when + timedelta(days=14)).strftime("%Y-%m-%d")
    assert req.history.first().history_change_reason == (
        f"consent e-mail resent to {cast.customer.contact_email} (deadline extended to {expected})"
    )


def test_an_extension_beyond_the_policy_maximum_is_refused(cast, start):
    req = waiting_for_customer(cast, start)
    resend(cast, req, start + timedelta(days=1), extend_days=14)
    when = start + timedelta(days=10)
    error = refused("LNK-R004", cast, req, when, extend_days=21)
    latest = timezone.localtime(start + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    assert latest in error.message
    assert "30 days" in error.hint
    resend(cast, req, when, extend_days=20)
    req.refresh_from_db()
    assert req.consent_deadline == start + timedelta(days=30)


def test_an_extension_never_shortens_the_deadline(cast, start):
    req = waiting_for_customer(cast, start)
    resend(cast, req, start + timedelta(hours=1), extend_days=2)
    req.refresh_from_db()
    assert req.consent_deadline == start + timedelta(days=7)


# --- the view -----------------------------------------------------------------------------


def url(req):
    return reverse("linking:request-resend", args=[req.pk])


def detail(req):
    return reverse("linking:request-detail", args=[req.pk])


def test_it_resends_and_goes_back_to_the_request(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.initiator)
    with at(start + timedelta(hours=1)):
        response = client.post(url(req), {"contact_email": "", "extend_days": "10"})
    assert response.status_code == 302
    assert response.url == detail(req)
    req.refresh_from_db()
    assert req.resend_count == 1
    assert req.consent_deadline == start + timedelta(hours=1, days=10)


def test_it_shows_the_refusal_with_its_code_and_hint(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.initiator)
    with at(start + timedelta(minutes=5)):
        response = client.post(url(req), follow=True)
    page = response.content.decode()
    assert "LNK-R001" in page
    assert "The next resend is possible at" in page
    req.refresh_from_db()
    assert req.resend_count == 0


def test_it_reports_invalid_input(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.initiator)
    with at(start + timedelta(hours=1)):
        response = client.post(url(req), {"extend_days": "99"}, follow=True)
    assert "New deadline in days" in response.content.decode()
    req.refresh_from_db()
    assert req.resend_count == 0


def test_the_form_shows_on_a_waiting_request_for_its_initiator_only(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.initiator)
    assert url(req) in client.get(detail(req)).content.decode()
    login(client, cast.viewer)
    assert url(req) not in client.get(detail(req)).content.decode()


def test_anonymous_is_sent_to_login(client, cast, start):
    req = waiting_for_customer(cast, start)
    response = client.post(url(req))
    assert response.status_code == 302
    assert "/login" in response.url


def test_another_resellers_request_is_not_found(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.outsider)
    assert client.post(url(req)).status_code == 404


def test_a_viewer_is_forbidden(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.viewer)
    assert client.post(url(req)).status_code == 403


def test_it_only_accepts_a_post(client, cast, start):
    req = waiting_for_customer(cast, start)
    login(client, cast.initiator)
    assert client.get(url(req)).status_code == 405


def test_it_needs_the_csrf_token(cast, start):
    req = waiting_for_customer(cast, start)
    client = login(Client(enforce_csrf_checks=True), cast.initiator)
    with at(start + timedelta(hours=1)):
        assert client.post(url(req)).status_code == 403
    req.refresh_from_db()
    assert req.resend_count == 0


def test_a_consent_e_mail_still_queued_when_a_resend_happens_is_never_sent(cast, start):
    from django.core import mail

    from linking.outbox.delivery import notification_deliver

    req = waiting_for_customer(cast, start)
    first = consent_requests(req).get()
    resend(cast, req, start + timedelta(minutes=20))
    second = consent_requests(req).last()
    assert second.pk != first.pk

    with at(start + timedelta(minutes=21)):
        assert notification_deliver(notification_id=first.pk) == "obsolete"
        assert mail.outbox == []
        assert notification_deliver(notification_id=second.pk) == "sent"
    token = mail.outbox[-1].body.split("/consent/", 1)[1].split("/", 1)[0]
    with at(start + timedelta(minutes=22)):
        assert consent_resolve(token).pk == req.pk
