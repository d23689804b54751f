"""A script onboards a customer through the API alone: keys made on the page, a draft in one
call, the dry run, submit, approval with a second key (another admin's), the customer's
consent and cloud-side setup, the link active. The calls it makes are the walk-through of
docs/api.md: the test fails when the document and the calls differ (run it with
PORTAL_WRITE_API_DOCS=1 to write the document's block again)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook

from linking.models import Link, LinkRequest
from linking.webhooks.delivery import webhook_deliver
from linking.webhooks.models import WebhookDelivery
from tests import journeys
from tests.webhooks.conftest import receiver, register  # noqa: F401 (the receiver fixture)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
START, END = "<!-- walkthrough: start -->", "<!-- walkthrough: end -->"


class Script:
    """Sends calls like a script and keeps each for the document, ids and keys as names."""

    def __init__(self):
        self.steps: list[str] = []
        self.names: dict[str, str] = {}
        self.ids: dict[str, tuple[int, int]] = {}

    def name(self, value: str, as_name: str) -> None:
        self.names[value] = as_name

    def name_id(self, kind: str, value: int, as_id: int) -> None:
        """The id of a request or link, shown as `as_id` in its addresses; a request's in the
        `"id"` fields too (the link calls keep no `"id"`)."""
        self.ids[kind] = (value, as_id)

    def _shown(self, text: str) -> str:
        for value, name in sorted(self.names.items(), key=lambda p: -len(p[0])):
            text = text.replace(value, name)
        for kind, (value, as_id) in self.ids.items():
            text = text.replace(f"/{kind}/{value}/", f"/{kind}/{as_id}/")
            if kind == "requests":
                text = re.sub(rf'"id": {value}\b', f'"id": {as_id}', text)
        return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "2026-01-01T00:00:00Z", text)

    def call(self, title, key, method, path, body=None, keep=None, headers=None):
        client = Client()
        extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        for header, value in (headers or {}).items():
            extra["HTTP_" + header.upper().replace("-", "_")] = value
        if method == "POST":
            response = client.post(path, body or {}, content_type="application/json", **extra)
        else:
            response = client.get(path, **extra)
        data = response.json()
        shown = {k: data[k] for k in keep} if keep else data
        request = f"{method} {path}\nAuthorization: Bearer {key}\n"
        request += "".join(f"{h}: {v}\n" for h, v in (headers or {}).items())
        if body is not None:
            request += "\n" + json.dumps(body, indent=2) + "\n"
        self.steps.append(
            f"{title}\n\n```http\n{request}```\n\n"
            f"`{response.status_code}`\n\n```json\n{json.dumps(shown, indent=2)}\n```\n"
        )
        return response

    def note(self, text: str) -> None:
        self.steps.append(text + "\n")

    def document(self) -> str:
        return self._shown("\n".join(self.steps))


def _key_from_page(client: Client, role: str, name: str) -> str:
    response = client.post(reverse("accounts:api-key-create"), {"name": name, "role": role})
    assert response.status_code == 201
    return response.content.decode().split('<code class="user-select-all">')[1].split("</code>")[0]


def test_a_script_onboards_a_customer_end_to_end(
    cast,
    second_admin,
    receiver,  # noqa: F811 (the fixture)
):
    script = Script()
    # The CRM is told each step by a webhook (its receiver on loopback).
    _endpoint, secret = register(cast, receiver)
    admin, other_admin = Client(), Client()
    admin.force_login(cast.admin)
    other_admin.force_login(second_admin)
    crm = _key_from_page(admin, "initiator", "CRM")
    approvals = _key_from_page(other_admin, "approver", "Approvals desk")
    script.name(crm, "prt_1a2b3c4d_<secret of the CRM key>")
    script.name(approvals, "prt_5e6f7a8b_<secret of the approver key>")
    script.note(
        "1. An admin makes an **initiator** key on the *API keys* page (`/accounts/api-keys/`, "
        "the password is asked again) and copies it: it is shown once. Another admin makes an "
        "**approver** key the same way (maker-checker: a key never approves requests of the "
        "admin who made it)."
    )
    created = script.call(
        "2. Make the draft: the customer, the items and their scope in one call.",
        crm,
        "POST",
        "/api/v1/requests/",
        {
            "account_id": cast.customer.account_id,
            "items": [{"link_type": "billing"}],
            "ticket_reference": "CRM-4711",
        },
        keep=["id", "reference", "status", "link_types", "customer_account_id"],
        headers={"Idempotency-Key": "crm-4711-create"},
    )
    assert created.status_code == 201
    req_id = created.json()["id"]
    script.name_id("requests", req_id, 42)
    script.name(created.json()["reference"], "LR-000042")
    run = script.call(
        "3. Dry run: every reason it could not be submitted, each with its code (none here).",
        crm,
        "POST",
        f"/api/v1/requests/{req_id}/dry-run/",
    )
    assert run.json() == {"ok": True, "errors": []}
    submitted = script.call(
        "4. Submit. The reseller's approval policy asks for a second person for billing.",
        crm,
        "POST",
        f"/api/v1/requests/{req_id}/submit/",
        keep=["id", "status", "waiting_on"],
        headers={"Idempotency-Key": "crm-4711-submit"},
    )
    assert submitted.json()["status"] == "pending_approval"
    queue = script.call(
        "5. The approvals desk reads its queue…",
        approvals,
        "GET",
        "/api/v1/approvals/",
        keep=["count", "next"],
    )
    assert queue.json()["count"] == 1
    approved = script.call(
        "6. …and approves with its own key.",
        approvals,
        "POST",
        f"/api/v1/requests/{req_id}/approve/",
        {"reason": "Contract 2026-17 signed"},
        keep=["id", "status", "waiting_on", "approver"],
    )
    assert approved.json()["status"] == "pending_consent"
    script.name(second_admin.email, "second.admin@partners.example")
    req = LinkRequest.objects.get(pk=req_id)
    journeys.accept(cast, req)
    link = Link.objects.get(source_item__request=req)
    journeys.activate(cast, link.pk)
    script.name_id("links", link.pk, 7)
    script.name(link.reference, "LK-000007")
    script.note(
        "7. The customer accepts in the consent e-mail and accepts the association in their "
        "cloud console; the portal proves it in the cloud and the link becomes active."
    )
    links = script.call(
        "8. The CRM finds the customer's link active.",
        crm,
        "GET",
        f"/api/v1/links/?customer={cast.customer.account_id}",
        keep=["count"],
    )
    assert links.json()["results"][0]["status"] == "active"
    detail = script.call(
        "9. The link with its latest verification run and evidence.",
        crm,
        "GET",
        f"/api/v1/links/{link.pk}/",
        keep=["reference", "status", "verification_status"],
    )
    assert detail.json()["status"] == "active" and detail.json()["verification_runs"]
    again = script.call(
        "10. A retry of step 2 with the same Idempotency-Key gets the first answer; nothing "
        "is made twice.",
        crm,
        "POST",
        "/api/v1/requests/",
        {
            "account_id": cast.customer.account_id,
            "items": [{"link_type": "billing"}],
            "ticket_reference": "CRM-4711",
        },
        keep=["id", "reference"],
        headers={"Idempotency-Key": "crm-4711-create"},
    )
    assert again.json()["id"] == req_id and LinkRequest.objects.count() == 1
    # Every write the keys made is in the history under the admin who made the key.
    rows = LinkRequest.history.filter(id=req_id)
    assert {r.history_user for r in rows if "via API key" in (r.history_change_reason or "")} == {
        cast.admin,
        second_admin,
    }
    _check_document(script.document())

    # Each step reached the CRM's receiver, signed, in order.
    for delivery in WebhookDelivery.objects.order_by("id"):
        webhook_deliver(delivery_id=delivery.pk)
    told = [Webhook(secret).verify(got.body, got.headers) for got in receiver.received]
    assert [(event["type"], event["data"]["reference"]) for event in told] == [
        ("request.submitted", req.reference),
        ("request.approved", req.reference),
        ("request.customer_decided", req.reference),
        ("link.awaiting_setup", link.reference),
        ("link.active", link.reference),
    ]


def _check_document(generated: str) -> None:
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    if os.environ.get("PORTAL_WRITE_API_DOCS"):
        DOC.write_text(f"{before}{START}\n{generated}{END}{after}")
        return
    current = rest.split(END, 1)[0].strip()
    assert current == generated.strip(), (
        "docs/api.md's walk-through differs from the calls the test makes: run this test with "
        "PORTAL_WRITE_API_DOCS=1 and review the change"
    )
