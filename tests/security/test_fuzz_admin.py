"""Property-based tests of the admin: every registered ModelAdmin's list answers each choice of
its filters and any filter or search value, as staff and as auditor, and so does the audit
trail.

Never a 500 (the test client re-raises a view's exception), and a refused input writes nothing.
The world is built once per module (tests/security/conftest.py).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import example, given

from tests.security.fuzz import FUZZ, bodies, pairs
from tests.security.fuzz_harness import _client, _count, _no_nul, _run, _send


def _admin_targets():
    from django.contrib.admin.sites import site

    return sorted(
        (model._meta.app_label, model._meta.model_name, model_admin)
        for model, model_admin in site._registry.items()
    )


def _admin_parameters(client, url) -> tuple[list[str], list[str]]:
    """The list's filter parameter names (with the date drill-down's) and the query string of
    every choice its filters offer, read from the page itself."""
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    if response.status_code == 403:
        return [], []
    cl = response.context["cl"]
    names, choices = ["q", "o", "p", "e", "all", "_to_field"], []
    for spec in cl.filter_specs:
        names.extend(spec.expected_parameters())
        choices.extend(choice["query_string"] for choice in spec.choices(cl))
    if cl.date_hierarchy:
        names.extend(f"{cl.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names, choices


# "app.model" of every list of the admin, and the audit trail.
ADMIN_LISTS = [f"{app}.{model}" for app, model, _ in _admin_targets()] + ["audit trail"]


@pytest.mark.parametrize("target", ADMIN_LISTS)
@pytest.mark.parametrize("visitor", ["staff", "auditor"])
def test_admin_lists_answer_every_filter_choice_and_any_filter_or_search_value(
    world, visitor, target
):
    client = _client(world, visitor)
    # The audit trail's filter form: its field names are its parameters.
    trail_names = ["start", "end", "actor", "reseller", "model", "kind", "p"]

    def prop(label, url):
        if label == "admin audit trail":
            names, choices = trail_names, []
        else:
            names, choices = _admin_parameters(client, url)
        for query in choices:
            response = client.get(url + query)
            assert response.status_code in (200, 302), (url + query, response.status_code)

        @FUZZ
        @given(data=bodies(names or ["q"]))
        @example(data=dict.fromkeys(names or ["q"], "\x00"))
        def check(data):
            _count(check.target_label)
            with transaction.atomic():
                response = _send(client, "GET", url, data)
                transaction.set_rollback(True)
            assert response.status_code < 500
            if not all(_no_nul(pair) for pair in pairs(data)):
                assert response.status_code == 400, "a NUL byte was not refused"

        check.target_label = f"{label} ?query as {visitor}"
        return check

    if target == "audit trail":
        url = reverse("admin:accounts_auditevent_trail")
    else:
        app, model = target.split(".")
        url = reverse(f"admin:{app}_{model}_changelist")
    _run(prop(f"admin {target}", url))
