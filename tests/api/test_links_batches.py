"""Links (detail, change of scope, renewal, revocation), presets and batches through the API."""

from __future__ import annotations

from linking.checks import ItemSpec
from linking.models import Batch, Link, LinkRequest
from linking.services import preset_create
from tests.api.conftest import Api, make_key
from tests.conftest import make_draft
from tests.journeys import active_link, awaiting_setup_link


def test_a_change_of_scope_starts_a_draft_from_the_link(cast, initiator_api):
    link = active_link(cast)
    assert link.status == Link.Status.ACTIVE
    narrower = {
        "link_type": "delegation",
        "services": ["ECS"],
        "regions": ["ap-southeast-1"],
        "access_level": "read_only",
        "duration_days": 30,
    }
    response = initiator_api.post(f"/api/v1/links/{link.pk}/amend/", {"items": [narrower]})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["purpose"] == "amend" and data["amends_link_id"] == link.pk
    assert data["items"][0]["services"] == ["ECS"]
    run = initiator_api.post(f"/api/v1/requests/{data['id']}/dry-run/").json()
    assert run == {"ok": True, "errors": []}
    submitted = initiator_api.post(f"/api/v1/requests/{data['id']}/submit/").json()
    assert submitted["status"] == "completed"  # a narrowing applies at once


def test_a_renewal_of_a_billing_link_is_refused_with_its_code(cast, initiator_api):
    link = awaiting_setup_link(cast, [ItemSpec(link_type="billing")])
    response = initiator_api.post(f"/api/v1/links/{link.pk}/renew/")
    assert response.status_code == 422 and response.json()["code"].startswith("LNK-")
    assert not LinkRequest.objects.filter(purpose="renew").exists()


def test_revoking_needs_the_reference_typed_and_an_approver_key(cast, initiator_api):
    link = awaiting_setup_link(cast)
    url = f"/api/v1/links/{link.pk}/revoke/"
    body = {"reason": "Contract ended", "confirm_reference": "LK-999999"}
    assert initiator_api.post(url, body).status_code == 403
    from tests.conftest import _member

    approver_maker = _member(cast.reseller, "viewer", "revoker@partners.example")
    from accounts.models import Membership
    from accounts.services import membership_set_role

    membership_set_role(
        actor=cast.admin,
        membership_id=Membership.objects.get(user=approver_maker).pk,
        role="admin",
    )
    approver = Api(make_key(cast, "approver", actor=approver_maker))
    wrong = approver.post(url, body)
    assert wrong.status_code == 422 and wrong.json()["code"] == "LNK-L004"
    done = approver.post(url, {**body, "confirm_reference": link.reference})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "revoked"
    row = Link.history.filter(id=link.pk, status="revoked").get()
    assert row.history_user == approver_maker and "via API key" in row.history_change_reason


def test_a_preset_fills_a_draft(cast, initiator_api, viewer_api):
    preset = preset_create(
        actor=cast.admin,
        reseller=cast.reseller,
        name="Billing only",
        items=[ItemSpec(link_type="billing")],
    )
    listed = viewer_api.get("/api/v1/presets/").json()["results"]
    assert [p["name"] for p in listed] == ["Billing only"]
    draft = make_draft(cast, actor=cast.admin)
    admin_initiator = initiator_api  # the key acts for the admin who made it
    filled = admin_initiator.post(
        f"/api/v1/requests/{draft.pk}/apply-preset/", {"preset_id": preset.pk}
    )
    assert filled.status_code == 200, filled.json()
    assert filled.json()["link_types"] == ["billing"]
    missing = admin_initiator.post(
        f"/api/v1/requests/{draft.pk}/apply-preset/", {"preset_id": preset.pk + 1000}
    )
    assert missing.status_code == 404


def test_a_batch_is_uploaded_reported_and_confirmed(cast, initiator_api, viewer_api, settings):
    from tests.factories import CustomerFactory

    good = CustomerFactory(enabled_regions=[cast.region_a])
    csv = (
        "key,account_id,link_types\n"
        f"crm-1,{good.account_id},billing\n"
        f"crm-2,{cast.frozen.account_id},billing\n"
        "crm-3,not-an-id,billing\n"
    )
    uploaded = initiator_api.post("/api/v1/batches/", {"file_name": "crm.csv", "csv": csv})
    assert uploaded.status_code == 201, uploaded.json()
    batch = uploaded.json()
    assert (batch["total_rows"], batch["valid_rows"], batch["invalid_rows"]) == (3, 1, 2)
    assert uploaded["Location"] == f"/api/v1/batches/{batch['id']}/"
    assert viewer_api.post("/api/v1/batches/", {"csv": csv}).status_code == 403
    report = viewer_api.get(f"/api/v1/batches/{batch['id']}/rows/?outcome=invalid").json()
    codes = {e["code"] for row in report["results"] for e in row["errors"]}
    assert report["count"] == 2 and {"LNK-V001", "LNK-V003"} <= codes
    confirmed = initiator_api.post(f"/api/v1/batches/{batch['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "queued"
    from linking.batches.services import batch_run

    batch_run(batch_id=batch["id"])
    done = viewer_api.get(f"/api/v1/batches/{batch['id']}/").json()
    assert done["status"] == "done" and done["created_count"] == 1 and done["percent"] == 100
    assert Batch.objects.get().created_count == 1
