"""Races with real threads and row locks, on PostgreSQL only: two revokes at once, the customer
withdrawing while the reseller revokes, and the customer withdrawing while the reseller amends.
Each leaves one consistent outcome: one revoke, the other side refused."""

import threading
import time

import pytest
from django.db import connection

from accounts.models import User
from linking import services
from linking.checks import ItemSpec
from linking.models import ConsentRecord, Link, LinkRequest, Notification
from linking.services import revocation
from portal.errors import PortalError
from tests.conftest import withdrawal_code_for
from tests.journeys import active_link
from tests.linking.test_revocation import deliver_receipt

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT … FOR UPDATE) need PostgreSQL; SQLite locks the whole file",
    ),
    pytest.mark.django_db(transaction=True),
]

HOLD = 0.5  # seconds the first thread keeps the link locked, so the other one really waits


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def slow_revoke(monkeypatch):
    """Keep the link row locked for a while inside the revoke; signal once the lock is held."""
    locked = threading.Event()
    original = revocation.link_sync_grants

    def slow(**kwargs):
        locked.set()
        time.sleep(HOLD)
        return original(**kwargs)

    monkeypatch.setattr(revocation, "link_sync_grants", slow)
    return locked


def run_in_threads(*calls):
    """Run each call in its own thread (its own connection) and collect ("ok"|code, value)."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def target(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except PortalError as exc:
            results[index] = (exc.code, None)
        except Exception as exc:
            results[index] = ("crash", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def revoke_call(cast, link, actor, reason):
    def call():
        return services.link_revoke(
            actor=actor, link_id=link.pk, reason=reason, confirm_reference=link.reference
        )

    return call


def test_two_revokes_at_once_leave_one_revoke(cast, slow_revoke):
    link = active_link(cast)
    results = run_in_threads(
        revoke_call(cast, link, cast.admin, "by the admin"),
        revoke_call(cast, link, cast.approver, "by the approver"),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["LNK-L001", "ok"], results
    winner = cast.admin if results[0][0] == "ok" else cast.approver
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert link.revoked_by == winner
    assert link.history.filter(status=Link.Status.REVOKED).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED).count() == 2
    assert not fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)


def test_customer_withdrawing_while_the_reseller_revokes_leaves_one_outcome(cast, slow_revoke):
    link = active_link(cast)
    token = deliver_receipt(link).rstrip("/").rsplit("/", 1)[1]
    code = withdrawal_code_for(token)

    def withdraw():
        return services.link_withdraw(
            token=token, code=code, ip_address="203.0.113.9", user_agent="t"
        )

    results = run_in_threads(withdraw, revoke_call(cast, link, cast.approver, "ended"))
    codes = sorted(r[0] for r in results)
    # Whoever locks the link first ends it; the other is refused with its own side's code.
    assert codes in (["LNK-L001", "ok"], ["LNK-C003", "ok"]), results
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert link.history.filter(status=Link.Status.REVOKED).count() == 1
    withdrawn = ConsentRecord.objects.filter(decision="withdrawn").count()
    if results[0][0] == "ok":
        assert link.revoked_by is None and withdrawn == 1
    else:
        assert link.revoked_by == cast.approver and withdrawn == 0
    assert Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED).count() == 2
    assert not fresh(cast.initiator).has_perm(
        "linking.delegate_read_customeraccount", cast.customer
    )


def test_customer_withdrawing_while_the_reseller_amends_leaves_one_outcome(cast, slow_revoke):
    link = active_link(cast)
    token = deliver_receipt(link).rstrip("/").rsplit("/", 1)[1]
    code = withdrawal_code_for(token)
    req = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    item = req.items.get()
    narrower = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=list(item.regions),
        access_level=item.access_level,
        duration_days=item.duration_days,
    )
    services.link_request_set_scope(
        actor=cast.initiator, request_id=req.pk, scopes={"delegation": narrower}
    )

    def withdraw():
        return services.link_withdraw(
            token=token, code=code, ip_address="203.0.113.9", user_agent="t"
        )

    def amend():
        # Submit only once the customer's withdrawal holds the link row.
        assert slow_revoke.wait(timeout=10)
        return services.link_request_submit(actor=cast.initiator, request_id=req.pk)

    results = run_in_threads(withdraw, amend)
    assert results[0][0] == "ok", results
    assert results[1][0] == "LNK-L001", results
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert link.services == ["ECS", "OBS"]  # the refused narrowing never touched the link
    assert LinkRequest.objects.get(pk=req.pk).status == LinkRequest.Status.DRAFT
    assert link.history.filter(status=Link.Status.REVOKED).count() == 1
    assert ConsentRecord.objects.filter(decision="withdrawn").count() == 1
    for user in (cast.admin, cast.initiator, cast.viewer):
        assert not fresh(user).has_perm("linking.view_customeraccount", cast.customer)
