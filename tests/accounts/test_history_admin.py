"""The admin's history page as an auditor reads it: empty values are empty, the system is named,
times have seconds and their zone, no inline style, and long values wrap."""

import re
from pathlib import Path

from django.urls import reverse

from linking.models import LinkRequest
from tests.conftest import consent_token_for, make_draft, submit


def _history(client, obj) -> str:
    opts = obj._meta
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def _consented_request(cast) -> LinkRequest:
    req = submit(cast, make_draft(cast))
    consent_token_for(req)  # the consent e-mail's delivery: a change without a person
    return LinkRequest.objects.get(pk=req.pk)


def test_an_empty_former_value_reads_empty_not_a_deleted_object(client, cast):
    req = _consented_request(cast)
    client.force_login(cast.auditor)
    body = _history(client, req)
    assert "pk=None" not in body
    assert "(empty) &rarr; " + str(cast.customer) in body


def test_a_change_without_a_person_is_by_the_system(client, cast):
    req = _consented_request(cast)
    assert req.history.filter(history_user=None).exists()
    client.force_login(cast.auditor)
    body = _history(client, req)
    assert "the system" in body
    assert ">None<" not in re.sub(r"\s+", "", body)


def test_times_are_shown_to_the_second_with_their_zone(client, cast):
    req = _consented_request(cast)
    client.force_login(cast.auditor)
    body = _history(client, req)
    shown = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", body)
    assert len(shown) == req.history.count()


def test_the_history_page_has_no_inline_style_and_its_changes_wrap(client, cast):
    req = _consented_request(cast)
    client.force_login(cast.staff)
    body = _history(client, req)
    assert "style=" not in body
    assert "portal/admin_history.css" in body
    assert 'class="history-changes"' in body


def test_the_history_stylesheet_wraps_the_changes_column(settings):
    from django.contrib.staticfiles import finders

    css = Path(finders.find("portal/admin_history.css")).read_text()
    assert "overflow-wrap: anywhere" in css and ".history-changes" in css


def test_the_audit_trail_shows_times_to_the_second_and_wraps_its_changes(client, cast):
    _consented_request(cast)
    client.force_login(cast.auditor)
    response = client.get(reverse("admin:accounts_auditevent_trail"))
    body = response.content.decode()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", body)
    assert "portal/admin_history.css" in body and 'class="history-changes"' in body
