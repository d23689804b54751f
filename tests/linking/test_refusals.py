"""Refused actions on a request are kept on its timeline: who, when, every code."""

import pytest
from django.urls import reverse

from linking.checks import ItemSpec
from linking.models import LinkRequest, Refusal
from tests.conftest import freeze, login, make_draft, submit

pytestmark = pytest.mark.django_db

Status = LinkRequest.Status
BILLING = [ItemSpec(link_type="billing")]


def test_a_refused_submit_is_kept_with_every_code(client, cast):
    bad = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=0,
    )
    req = make_draft(cast, customer=cast.customer2, specs=[bad])
    freeze(cast.customer2)
    login(client, cast.initiator)
    client.post(reverse("linking:request-submit", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == Status.DRAFT  # the submit itself rolled back
    rows = list(Refusal.objects.filter(request=req))
    assert [r.code for r in rows] == ["LNK-V003", "LNK-V017"]
    assert {(r.action, r.actor, r.reseller_id) for r in rows} == {
        ("submit", cast.initiator, cast.reseller.pk)
    }
    assert len({r.attempt for r in rows}) == 1
    page = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert "Submit refused: LNK-V003, LNK-V017" in page


def test_a_refused_approval_is_kept_on_the_timeline(client, cast):
    req = submit(cast, make_draft(cast, specs=BILLING, actor=cast.admin), actor=cast.admin)
    login(client, cast.admin)
    client.post(reverse("linking:request-approve", args=[req.pk]), {"reason": "mine"})
    refusal = Refusal.objects.get(request=req)
    assert (refusal.action, refusal.code, refusal.actor) == ("approve", "LNK-A001", cast.admin)
    page = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert "Approval refused: LNK-A001" in page


def test_refusals_of_each_attempt_are_apart_and_queryable_by_code(client, cast):
    req = submit(cast, make_draft(cast, specs=BILLING))
    login(client, cast.approver)
    for _ in range(2):
        client.post(reverse("linking:request-reject", args=[req.pk]), {"reason": ""})
    assert Refusal.objects.filter(code="LNK-A003").count() == 2
    assert Refusal.objects.filter(code="LNK-A003").values("attempt").distinct().count() == 2
    assert any(index.fields == ["code", "created_at"] for index in Refusal._meta.indexes)


def test_a_refusal_is_append_only(cast):
    req = make_draft(cast)
    refusal = Refusal.objects.create(
        request=req, reseller=cast.reseller, action="submit", attempt="0" * 32, code="LNK-V003"
    )
    with pytest.raises(ValueError, match="append-only"):
        refusal.save()
    with pytest.raises(ValueError, match="append-only"):
        refusal.delete()


def test_a_successful_action_records_no_refusal(client, cast):
    req = submit(cast, make_draft(cast, specs=BILLING))
    login(client, cast.approver)
    client.post(reverse("linking:request-approve", args=[req.pk]), {"reason": "ok"})
    assert not Refusal.objects.exists()
