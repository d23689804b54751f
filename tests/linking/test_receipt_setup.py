"""The receipt page and e-mail tell the customer what to do in the cloud, with the same values."""

import html
import re
import shlex

import pytest
from django.core import mail
from django.urls import reverse

from linking import services
from linking.checks import ItemSpec
from linking.cloud.setup import agency_name
from linking.cloud.setup_formats import hcl_string
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link, Notification
from linking.outbox.delivery import notification_deliver
from tests.cloud.connection_setup import DOMAIN_ID, save_connection
from tests.conftest import (
    code_from_page,
    consent_code_for,
    consent_token_for,
    read_only_delegation,
    submit,
)
from tests.journeys import accept, activate, pending_consent
from tests.linking.test_emails import _assert_self_contained

BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["eu-west-101"])
# The reseller name of a careless or hostile partner: markup, quotes and substitutions.
EVIL_NAME = "<script>alert(1)</script> \"Q\" 'S' $(id) ${x}"


def _decide_all(cast, specs, client):
    """The customer accepts every item on the consent page; the receipt page it lands on."""
    req = pending_consent(cast, specs)
    token = consent_token_for(req)
    data = {f"decision_{item.pk}": "accept" for item in req.items.all()}
    if consent_code_for(req, token):
        data["code"] = code_from_page(client, reverse("consent:page", args=[token]), data)
    response = client.post(reverse("consent:page", args=[token]), data)
    assert response.status_code == 302, response.content.decode()
    reference = ConsentRecord.objects.filter(request=req).first().receipt_reference
    return req, reference, response["Location"]


def _link(req, link_type):
    return Link.objects.get(reseller=req.reseller, customer=req.customer, link_type=link_type)


@pytest.fixture
def connected(cast):
    save_connection(cast)
    return cast


def test_the_receipt_page_gives_the_steps_with_copy_buttons(client, connected):
    cast = connected
    req, _reference, url = _decide_all(cast, [BILLING, read_only_delegation(cast)], client)

    response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    name = agency_name("P-100001", _link(req, "delegation").reference)
    for value in (
        name,
        "northwind-partner",
        "ECS ReadOnlyAccess",
        "OBS ReadOnlyAccess",
        f"/console/invitations/{DOMAIN_ID}/",
        "What to do in Huawei Cloud",
    ):
        assert value in page
    assert f'data-copy="{name}"' in page
    assert 'data-copy="ECS ReadOnlyAccess"' in page
    assert "hcloud IAM CreateAgency" in page
    assert reverse("consent:receipt-terraform", args=[url.rstrip("/").split("/")[-1]]) in page
    # The page's script is a file of the portal; the Content Security Policy allows no other.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/portal/copy.js">']
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_terraform_file_downloads_with_the_agency(client, connected):
    cast = connected
    req, reference, url = _decide_all(cast, [BILLING, read_only_delegation(cast)], client)

    response = client.get(f"{url}agencies.tf")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{reference}-agencies.tf"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    name = agency_name("P-100001", _link(req, "delegation").reference)
    assert f'name                  = "{name}"' in text
    assert 'delegated_domain_name = "northwind-partner"' in text
    assert 'domain_roles = ["OBS ReadOnlyAccess"]' in text
    assert 'duration              = "89"' in text  # 90 days, seconds ago: 89 whole days left


def test_a_receipt_without_an_agency_has_no_terraform_file(client, connected):
    _req, _reference, url = _decide_all(connected, [BILLING], client)
    page = client.get(url).content.decode()
    assert "Download the Terraform file" not in page
    assert client.get(f"{url}agencies.tf").status_code == 404


def test_a_tampered_receipt_link_gives_no_terraform_file(client, connected):
    _req, reference, _url = _decide_all(connected, [read_only_delegation(connected)], client)
    signed = receipt_sign(reference)
    tampered = signed[:-2] + ("A" if signed[-2] != "A" else "B") + signed[-1]
    assert client.get(f"/consent/receipt/{tampered}/agencies.tf").status_code == 404
    assert client.get(f"/consent/receipt/{signed}/agencies.tf").status_code == 200


def test_without_a_connection_the_page_says_the_partner_will_send_the_values(client, cast):
    _req, _reference, url = _decide_all(cast, [read_only_delegation(cast)], client)
    page = client.get(url).content.decode()
    assert "has not connected its Huawei Cloud account" in page
    assert "hcloud" not in page
    assert client.get(f"{url}agencies.tf").status_code == 404


def test_a_hostile_reseller_name_is_escaped_on_the_page_and_quoted_in_the_file(client, connected):
    cast = connected
    cast.reseller.name = EVIL_NAME
    cast.reseller.save()
    req, _reference, url = _decide_all(cast, [PROVISIONING], client)

    page = client.get(url).content.decode()
    text = client.get(f"{url}agencies.tf").content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    description = (
        f"Provisioning by {EVIL_NAME} (P-100001), link {_link(req, 'provisioning').reference}, "
        "consented in the partner portal"
    )
    assert f"  description           = {hcl_string(description)}\n" in text
    assert f"--agency.description={shlex.quote(description)}" in html.unescape(page)


def test_the_receipt_page_reads_a_fixed_number_of_queries(
    client, connected, django_assert_num_queries
):
    cast = connected
    _req, _reference, url = _decide_all(
        cast, [BILLING, PROVISIONING, read_only_delegation(cast)], client
    )
    # Session, records, catalog (2), connection, links, the links awaiting the customer's
    # setup ("I have done it"), and the rate limiter's none.
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


def _deliver_receipt():
    notification = Notification.objects.filter(kind="consent_receipt").latest("id")
    assert notification_deliver(notification_id=notification.pk) == "sent"
    message = mail.outbox[-1]
    return message, message.alternatives[0][0]


def test_the_receipt_e_mail_carries_the_steps_in_text_and_html(client, connected):
    cast = connected
    req, reference, _url = _decide_all(cast, [BILLING, read_only_delegation(cast)], client)

    message, html_part = _deliver_receipt()

    name = agency_name("P-100001", _link(req, "delegation").reference)
    invitation = f"https://bss-intl.myhuaweicloud.com/console/invitations/{DOMAIN_ID}/"
    assert f'Agency name: "{name}"' in message.body
    assert 'Permission: "ECS ReadOnlyAccess"' in message.body
    assert f'Invitation link: "{invitation}"' in message.body
    assert "Accepted items take effect once the steps below are done." in message.body
    assert f">{name}</code>" in html_part
    assert ">OBS ReadOnlyAccess</code>" in html_part
    assert reference in message.subject
    # The receipt page (with the commands and the Terraform file) is linked from both parts.
    links = re.findall(r"http://testserver(/consent/receipt/[^/\s\"]+/)", message.body)
    assert len(links) == 1 and links[0] in html_part
    assert reference in client.get(links[0]).content.decode()
    _assert_self_contained(html_part)


def test_an_older_receipt_of_an_amended_link_points_to_the_newer_one(
    client, connected, django_capture_on_commit_callbacks
):
    cast = connected
    spec = read_only_delegation(cast)
    spec.services = ["ECS"]
    req, _reference, url = _decide_all(cast, [spec], client)
    link = _link(req, "delegation")
    activate(cast, link.pk)  # the customer's setup done in the (sandbox) cloud and proven
    with django_capture_on_commit_callbacks(execute=False):
        draft = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
        item = draft.items.get()
        wider = ItemSpec.from_item(item)
        wider.services = ["ECS", "OBS"]
        services.link_request_set_scope(
            actor=cast.initiator, request_id=draft.pk, scopes={"delegation": wider}
        )
        amended = accept(cast, submit(cast, draft))

    old_page = client.get(url).content.decode()
    new_reference = ConsentRecord.objects.get(request=amended).receipt_reference
    new_page = client.get(reverse("consent:receipt", args=[receipt_sign(new_reference)]))

    assert "A later decision changed this access" in old_page
    assert "hcloud" not in old_page
    # The same agency (one per link), now with the wider permissions.
    name = agency_name("P-100001", link.reference)
    assert name in new_page.content.decode() and "OBS ReadOnlyAccess" in new_page.content.decode()
