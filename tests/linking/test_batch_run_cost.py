"""What a batch run costs and what it still checks: queries per row flat with the file size and
within a budget, one history row per created object naming its batch row, the actor's role read
once per chunk (a role taken away mid-run stops the next chunk), and the one-go creation refusing
exactly what the wizard's steps refuse."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role
from accounts.permissions import has_reseller_perm, remembered_perms
from accounts.services import membership_set_role
from linking import checks, services
from linking.batches import services as batch_services
from linking.models import BatchRow, LinkRequest, Notification, RequestItem
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module
from tests.factories import CustomerFactory
from tests.linking.batch_helpers import csv_bytes, delegation, line, outcomes, upload

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Outcome = BatchRow.Outcome

# Per pair of rows (one read-only delegation straight to the customer, one billing row that
# waits for the cast's two approvers, both told by e-mail in one insert; each submit asks which
# webhook endpoints want the event): the wizard's six steps per row cost 151 for the same pair.
QUERIES_PER_PAIR = 47


def _customers(cast, n):
    return [CustomerFactory(enabled_regions=[cast.region_a, cast.region_b]) for _ in range(n)]


def _run_queries(cast, pairs: int, tag: str) -> int:
    rows = []
    for i, customer in enumerate(_customers(cast, 2 * pairs)):
        if i % 2:
            rows.append(line(f"{tag}-{i}", customer.account_id, ticket=f"T-{i}"))
        else:
            rows.append(delegation(f"{tag}-{i}", customer.account_id))
    batch = upload(cast, csv_bytes(*rows))
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    with CaptureQueriesContext(connection) as ctx:
        batch = services.batch_run(batch_id=batch.pk)
    assert batch.created_count == 2 * pairs
    return len(ctx.captured_queries)


def test_the_run_costs_the_same_queries_per_row_at_two_sizes_within_a_budget(cast):
    small, large = _run_queries(cast, 1, "s"), _run_queries(cast, 4, "l")
    per_pair = (large - small) / 3
    assert per_pair == QUERIES_PER_PAIR
    # Fixed part (the chunk's role and catalog reads, progress, the end) the same at both sizes.
    assert small - per_pair == large - 4 * per_pair


def test_a_created_request_says_once_which_row_it_came_from(cast):
    batch = upload(cast, csv_bytes(delegation("k1", cast.customer.account_id, ticket="INC-9")))
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    services.batch_run(batch_id=batch.pk)
    req = LinkRequest.objects.get(batch_key="k1")
    reasons = list(
        req.history.order_by("history_id").values_list("history_change_reason", "status")
    )
    assert reasons == [
        ("created from batch row 2, batch key k1", "draft"),
        ("submitted; the approval policy sends it straight to the customer", "pending_consent"),
    ]
    assert all(h.history_user == cast.initiator for h in req.history.all())
    item = req.items.get()
    item_reasons = list(
        item.history.order_by("history_id").values_list("history_change_reason", "is_open")
    )
    assert item_reasons == [("created from batch row 2, batch key k1", False), ("submitted", True)]
    assert (item.customer, item.services, item.regions) == (
        cast.customer,
        ["ECS", "OBS"],
        ["ap-southeast-1"],
    )
    assert (req.customer, req.account_id_input, req.ticket_reference) == (
        cast.customer,
        "12345678000000000000000000009012",
        "INC-9",
    )
    assert Notification.objects.filter(request=req, kind="consent_request").count() == 1


def test_the_role_is_remembered_only_inside_the_block(cast):
    membership = Membership.objects.get(user=cast.initiator, reseller=cast.reseller)
    with remembered_perms():
        assert has_reseller_perm(
            user=cast.initiator, reseller=cast.reseller, perm="initiate_requests"
        )
        membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
        # Remembered for the rest of the block…
        assert has_reseller_perm(
            user=cast.initiator, reseller=cast.reseller, perm="initiate_requests"
        )
    # …and checked afresh outside it, as every page does.
    assert not has_reseller_perm(
        user=cast.initiator, reseller=cast.reseller, perm="initiate_requests"
    )
    with remembered_perms():
        assert not has_reseller_perm(
            user=cast.initiator, reseller=cast.reseller, perm="initiate_requests"
        )


def test_a_role_taken_away_mid_run_stops_the_run_at_the_next_chunk(cast, monkeypatch):
    customers = _customers(cast, 4)
    batch = upload(cast, csv_bytes(*(line(f"k{i}", c.account_id) for i, c in enumerate(customers))))
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    membership = Membership.objects.get(user=cast.initiator, reseller=cast.reseller)
    real = batch_services.batch_run_row
    done = []

    def run_row_then_maybe_demote(**kwargs):
        outcome = real(**kwargs)
        done.append(outcome)
        if len(done) == 1:
            # An admin takes the initiator role away while the first chunk is running.
            membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
        return outcome

    monkeypatch.setattr(batch_services, "batch_run_row", run_row_then_maybe_demote)
    batch = services.batch_run(batch_id=batch.pk, chunk_size=2)
    assert outcomes(batch) == {
        2: (Outcome.CREATED, ""),
        3: (Outcome.CREATED, ""),  # same chunk: the role read at its start
        4: (Outcome.FAILED, "LNK-V013"),
        5: (Outcome.FAILED, "LNK-V013"),
    }
    assert LinkRequest.objects.count() == 2


def _wizard_refusal(cast, **kw):
    try:
        with transaction.atomic():
            req = services.link_request_create_draft(actor=kw["actor"], reseller=cast.reseller)
            services.link_request_set_types(
                actor=kw["actor"], request_id=req.pk, link_types=kw["link_types"]
            )
            services.link_request_set_customer(
                actor=kw["actor"], request_id=req.pk, account_id=kw["account_id"]
            )
            services.link_request_set_scope(
                actor=kw["actor"], request_id=req.pk, scopes=kw["scopes"]
            )
            services.link_request_set_details(
                actor=kw["actor"],
                request_id=req.pk,
                ticket_reference="",
                note_to_customer="",
                consent_days=kw["consent_days"],
            )
            services.link_request_submit(actor=kw["actor"], request_id=req.pk)
    except PortalError as error:
        return [r.code for r in getattr(error, "reasons", [])] or [error.code]
    return []


def _one_go_refusal(cast, **kw):
    try:
        with transaction.atomic():
            services.link_request_create_submitted(
                reseller=cast.reseller,
                ticket_reference="",
                note_to_customer="",
                reason="test",
                **kw,
            )
    except PortalError as error:
        return [r.code for r in getattr(error, "reasons", [])] or [error.code]
    return []


READ_ONLY = checks.ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=90,
)


@pytest.mark.parametrize(
    "case",
    [
        {"who": "viewer"},
        {"link_types": []},
        {"account_id": "12-34"},
        {"account_id": "99999999000000000000000000009999"},
        {"account": "frozen"},
        {"account": "cn_customer"},
        {"consent_days": 31},
        {"scopes": {"delegation": checks.ItemSpec(link_type="delegation", duration_days=999)}},
        {"open_request": True},
    ],
    ids=lambda case: "-".join(map(str, case)),
)
def test_the_one_go_creation_refuses_what_the_wizard_refuses(cast, case):
    kw = {
        "actor": getattr(cast, case.get("who", "initiator")),
        "link_types": case.get("link_types", ["delegation"]),
        "account_id": case.get("account_id")
        or getattr(cast, case.get("account", "customer")).account_id,
        "scopes": case.get("scopes", {"delegation": READ_ONLY}),
        "consent_days": case.get("consent_days", 7),
    }
    if case.get("open_request"):
        _one_go_refusal(cast, **kw)  # the first is created and waits for the customer
    wizard, one_go = _wizard_refusal(cast, **kw), _one_go_refusal(cast, **kw)
    # The wizard stops at the customer step with what is known there; a one-go row is
    # refused with every reason at once.
    assert wizard and set(wizard) <= set(one_go)
    assert RequestItem.objects.filter(is_open=True).count() == int(bool(case.get("open_request")))
