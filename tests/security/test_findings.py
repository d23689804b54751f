"""Inputs the fuzz tests found answering a 500 (or a change an auditor must not make), kept as
plain regression tests."""

from django.urls import reverse

from linking import services
from linking.models import ConsentRecord, Notification
from tests.conftest import login, make_draft, submit


def test_a_search_for_a_unicode_digit_is_no_server_error(client, cast):
    login(client, cast.viewer)
    for name in ("linking:request-list", "linking:link-list"):
        for q in ("²", "LR-²", "LK-١٢", "9" * 200):
            assert client.get(reverse(name), {"q": q}).status_code == 200


def test_a_receipt_reference_with_a_nul_is_not_found(client, cast):
    login(client, cast.viewer)
    url = reverse("linking:receipt-download", kwargs={"reference": "RC-1"}).replace("RC-1", "%00")
    assert client.get(url).status_code == 404


def test_requeue_ignores_ids_that_are_not_plain_numbers(client, cast):
    login(client, cast.staff)
    response = client.post(reverse("ops:outbox-requeue"), {"id": ["²", "9" * 5000, "12"]})
    assert response.status_code == 302


def test_an_auditor_reads_the_outbox_but_cannot_requeue(client, cast):
    req = submit(cast, make_draft(cast))
    failed = Notification.objects.create(
        kind=Notification.Kind.CONSENT_REQUEST,
        to_email=req.consent_email,
        request=req,
        status=Notification.Status.FAILED,
        attempts=1,
    )
    login(client, cast.auditor)
    assert client.get(reverse("ops:outbox")).status_code == 200
    assert client.post(reverse("ops:outbox-requeue"), {"all": "failed"}).status_code == 403
    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED


def test_a_user_agent_with_a_nul_is_kept_without_it_as_evidence(client, cast):
    req = submit(cast, make_draft(cast))
    token = services.consent_issue_token(request_id=req.pk)
    item = req.items.get()
    response = client.post(
        reverse("consent:page", kwargs={"token": token}),
        {f"decision_{item.pk}": "accept"},
        HTTP_USER_AGENT="Mozilla/5.0\x00\x07 (X11)",
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.get(request=req).user_agent == "Mozilla/5.0 (X11)"
