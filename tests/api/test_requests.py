"""Requests through the API: a draft in one call, the dry run, submit, approval, refusals."""

from __future__ import annotations

from accounts.models import ApiKey
from linking.models import LinkRequest

BILLING = {"link_type": "billing"}


def _draft(api, cast, items=None, **extra):
    body = {"account_id": cast.customer.account_id, "items": items or [BILLING], **extra}
    return api.post("/api/v1/requests/", body)


def test_a_draft_is_made_in_one_call_and_dry_run(cast, initiator_api):
    response = _draft(initiator_api, cast, ticket_reference="CRM-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and data["link_types"] == ["billing"]
    assert response["Location"] == f"/api/v1/requests/{data['id']}/"
    assert data["created_at"].endswith("Z")
    run = initiator_api.post(f"/api/v1/requests/{data['id']}/dry-run/")
    assert run.status_code == 200 and run.json() == {"ok": True, "errors": []}


def test_the_dry_run_lists_every_reason_with_its_code(cast, initiator_api):
    req = _draft(initiator_api, cast).json()
    cast.customer.status = "frozen"
    cast.customer.save(update_fields=["status"])
    cast.reseller.allow_billing = False
    cast.reseller.save(update_fields=["allow_billing"])
    run = initiator_api.post(f"/api/v1/requests/{req['id']}/dry-run/").json()
    codes = {e["code"] for e in run["errors"]}
    assert run["ok"] is False and {"LNK-V003", "LNK-V009"} <= codes
    refused = initiator_api.post(f"/api/v1/requests/{req['id']}/submit/")
    assert refused.status_code == 422
    body = refused.json()
    assert {e["code"] for e in body["errors"]} == codes
    assert set(body) == {"code", "stage", "message", "hint", "errors"}


def test_submit_then_approve_with_a_second_key(cast, initiator_api, approver_api):
    req = _draft(initiator_api, cast).json()
    submitted = initiator_api.post(f"/api/v1/requests/{req['id']}/submit/").json()
    assert submitted["status"] == "pending_approval"
    queue = approver_api.get("/api/v1/approvals/").json()
    assert [r["id"] for r in queue["results"]] == [req["id"]]
    approved = approver_api.post(f"/api/v1/requests/{req['id']}/approve/", {"reason": "ok"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "pending_consent"
    row = LinkRequest.history.filter(id=req["id"], status="pending_consent").get()
    assert row.history_user == approver_api_holder(approver_api)
    assert "via API key" in row.history_change_reason


def approver_api_holder(api):
    prefix = api.key.split("_")[1]
    return ApiKey.objects.get(prefix=prefix).created_by


def test_a_key_cannot_approve_its_own_holders_request(cast, initiator_api):
    own = make_own_approver(cast)
    req = _draft(initiator_api, cast).json()
    initiator_api.post(f"/api/v1/requests/{req['id']}/submit/")
    refused = own.post(f"/api/v1/requests/{req['id']}/approve/", {"reason": "mine"})
    assert refused.status_code == 422 and refused.json()["code"] == "LNK-A001"


def make_own_approver(cast):
    from tests.api.conftest import Api, make_key

    return Api(make_key(cast, "approver"))


def test_a_viewer_key_cannot_start_a_request(cast, viewer_api):
    refused = _draft(viewer_api, cast)
    assert refused.status_code == 403 and refused.json()["code"] == "API-K008"


def test_invalid_bodies_list_every_field(cast, initiator_api):
    response = initiator_api.post("/api/v1/requests/", {"items": [{"link_type": "nope"}]})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"account_id", "items.0.link_type"} <= fields


def test_another_resellers_request_is_not_found(cast, initiator_api):
    from linking.services import link_request_create_draft

    theirs = link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    assert initiator_api.get(f"/api/v1/requests/{theirs.pk}/").status_code == 404
    response = initiator_api.post(f"/api/v1/requests/{theirs.pk}/submit/")
    assert response.status_code == 404 and response.json()["code"] == "PRT-P004"


def test_a_refused_submit_and_approval_are_kept_on_the_timeline_as_on_the_pages(
    cast, initiator_api
):
    from linking.models import Refusal

    req = _draft(initiator_api, cast).json()
    cast.customer.status = "frozen"
    cast.customer.save(update_fields=["status"])
    assert initiator_api.post(f"/api/v1/requests/{req['id']}/submit/").status_code == 422
    refusal = Refusal.objects.get(request_id=req["id"])
    assert (refusal.action, refusal.code) == ("submit", "LNK-V003")
    assert refusal.actor == approver_api_holder(initiator_api)
    cast.customer.status = "active"
    cast.customer.save(update_fields=["status"])
    initiator_api.post(f"/api/v1/requests/{req['id']}/submit/")
    own = make_own_approver(cast)
    assert own.post(f"/api/v1/requests/{req['id']}/approve/", {"reason": "mine"}).status_code == 422
    codes = list(
        Refusal.objects.filter(request_id=req["id"]).order_by("id").values_list("action", "code")
    )
    assert codes == [("submit", "LNK-V003"), ("approve", "LNK-A001")]
