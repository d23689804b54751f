"""Property-based tests of the customer's pages reached by signed links: the consent page and
the withdrawal page take any token and any body, and a decision is all or nothing.

Never a 500 (the test client re-raises a view's exception), and a refused input writes nothing.
The world is built once per module (tests/security/conftest.py).
"""

from __future__ import annotations

from urllib.parse import quote

from django.db import transaction
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from linking.models import ConsentRecord, Link
from tests.security.fuzz import FUZZ, bodies, text
from tests.security.fuzz_harness import _count, _send, _timed
from tests.security.world import receipt_link


def _mutations(token: str):
    return st.one_of(
        st.just(token),
        text,
        st.builds(lambda s: token + s, text),
        st.integers(0, max(len(token) - 1, 0)).map(lambda n: token[:n]),
        st.builds(
            lambda i, c: token[:i] + c + token[i + 1 :],
            st.integers(0, max(len(token) - 1, 0)),
            st.characters(),
        ),
    )


def _consent_state(reqs):
    rows = []
    for req in reqs:
        req.refresh_from_db()
        rows.append((req.status, sorted(req.items.values_list("decision", flat=True))))
    return ConsentRecord.objects.count(), Link.objects.count(), rows


def test_consent_page_answers_any_token_and_body_all_or_nothing(world):
    reqs = [side.requests["pending_consent"] for side in world.sides]
    valid = {side.consent_token: i for i, side in enumerate(world.sides)}
    other_tokens = [world.b.consent_token, world.a.withdrawal_token, receipt_link(world.a)]
    items = list(reqs[0].items.all())
    names = [f"decision_{i.pk}" for i in items] + [f"reason_{i.pk}" for i in items]
    names.extend(["code", "send_code"])
    client = Client()

    @FUZZ
    @given(
        token=st.one_of(_mutations(world.a.consent_token), st.sampled_from(other_tokens)),
        method=st.sampled_from(["GET", "POST"]),
        data=bodies(names),
        agent=text,
    )
    # The decision that goes through, with a User-Agent no browser sends.
    @example(
        token=world.a.consent_token,
        method="POST",
        data={name: "accept" for name in names if name.startswith("decision_")},
        agent="Mozilla\x00",
    )
    def check(token, method, data, agent):
        _count("consent:page")
        url = f"/consent/{quote(token, safe='')}/"
        with transaction.atomic():
            before = _consent_state(reqs)
            response = _send(client, method, url, data, HTTP_USER_AGENT=agent)
            after = _consent_state(reqs)
            transaction.set_rollback(True)
        assert response.status_code < 500
        decided = response.status_code == 302 and "/consent/receipt/" in response["Location"]
        if token in valid and method == "POST" and decided:
            # All of it: one record per item, every item decided, the request moved on.
            i = valid[token]
            n_items = len(before[2][i][1])
            assert after[0] == before[0] + n_items
            status, decisions = after[2][i]
            assert status != before[2][i][0] and "pending" not in decisions
            assert after[2][1 - i] == before[2][1 - i]
        else:
            assert after == before, f"{method} {response.status_code} wrote {before} -> {after}"

    _timed("consent:page", check)


def _withdraw_state(links):
    for link in links:
        link.refresh_from_db()
    return ConsentRecord.objects.count(), [(link.status, link.revoked_at) for link in links]


def test_withdrawal_page_answers_any_token_and_body_all_or_nothing(world):
    links = [side.link for side in world.sides]
    valid = {side.withdrawal_token: i for i, side in enumerate(world.sides)}
    other_tokens = [world.b.withdrawal_token, world.a.consent_token]
    client = Client()

    @FUZZ
    @given(
        token=st.one_of(_mutations(world.a.withdrawal_token), st.sampled_from(other_tokens)),
        method=st.sampled_from(["GET", "POST"]),
        data=bodies(["confirm", "code", "send_code"]),
        agent=text,
    )
    @example(token=world.a.withdrawal_token, method="POST", data={"confirm": "on"}, agent="\x00")
    def check(token, method, data, agent):
        _count("consent:withdraw")
        url = f"/consent/withdraw/{quote(token, safe='')}/"
        with transaction.atomic():
            before = _withdraw_state(links)
            response = _send(client, method, url, data, HTTP_USER_AGENT=agent)
            after = _withdraw_state(links)
            transaction.set_rollback(True)
        assert response.status_code < 500
        if token in valid and method == "POST" and after != before:
            # All of it: the withdrawal record, and the link ended now (delegation).
            i = valid[token]
            assert response.status_code == 200
            assert after[0] == before[0] + 1
            assert after[1][i][0] == "revoked" and after[1][i][1] is not None
            assert after[1][1 - i] == before[1][1 - i]
        else:
            assert after == before, f"{method} {response.status_code} wrote {before} -> {after}"

    _timed("consent:withdraw", check)
