"""The console over HTTP against the running sandbox: sign in, invitations, agencies."""

import re

import pytest
import requests

from tests.cloud import sdk_clients
from tests.cloud.test_sandbox_agency import REGION, assume, projects
from tests.cloud.test_sandbox_bss import _page

PASSWORD = "demo-pass-1234"


class Browser:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def get(self, path, **kwargs):
        return self.session.get(self.base + path, timeout=10, **kwargs)

    def post(self, path, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            if "sandbox_csrftoken" not in self.session.cookies:
                self.get("/console/signin/")  # sets the CSRF cookie
            data["csrfmiddlewaretoken"] = self.session.cookies.get("sandbox_csrftoken")
        return self.session.post(self.base + path, data=data, timeout=10)

    def sign_in(self, name, password=PASSWORD):
        return self.post("/console/signin/", {"name": name, "password": password})


@pytest.fixture
def people(cloud):
    partner = cloud.control.create_account("partner-one", display_name="Partner One")
    customer = cloud.control.create_account("acme", password=PASSWORD)
    return cloud, partner, customer


def test_sign_in_needs_the_right_password(people):
    cloud, _, _ = people
    browser = Browser(cloud.url)
    assert "/console/signin/" in browser.get("/console/").url
    wrong = browser.sign_in("acme", "not-the-password")
    assert wrong.status_code == 200
    assert "The account name or password is wrong." in wrong.text
    assert "Sign out" not in wrong.text
    right = browser.sign_in("acme")
    assert right.url.endswith("/console/")
    assert "Sign out" in right.text


def test_post_without_csrf_token_is_refused(people):
    cloud, _, _ = people
    browser = Browser(cloud.url)
    refused = browser.post("/console/signin/", {"name": "acme", "password": PASSWORD}, csrf=False)
    assert refused.status_code == 403


def test_accepting_an_invitation_associates_the_customer(people):
    cloud, partner, customer = people
    browser = Browser(cloud.url)
    invitation = f"/console/invitations/{partner['domain_id']}/?type=2"
    signin = browser.get(invitation)
    assert "/console/signin/" in signin.url
    browser.session.post(
        cloud.url + "/console/signin/",
        data={
            "name": "acme",
            "password": PASSWORD,
            "next": invitation,
            "csrfmiddlewaretoken": browser.session.cookies.get("sandbox_csrftoken"),
        },
        timeout=10,
    )
    page = browser.get(invitation)
    assert "Partner One" in page.text
    assert _page(sdk_clients.bss(cloud.url, partner)).count == 0

    accepted = browser.post(f"/console/invitations/{partner['domain_id']}/?type=2")

    assert "You are now associated with partner-one." in accepted.text
    [info] = _page(sdk_clients.bss(cloud.url, partner)).customer_infos
    assert (info.customer_id, info.association_type) == (customer["domain_id"], "2")
    assert "already associated" in browser.get(invitation).text


def test_an_invitation_link_without_a_type_is_for_resale(people):
    """The portal gives the customer the plain link; a billing link needs a resale association."""
    cloud, partner, customer = people
    browser = Browser(cloud.url)
    browser.sign_in("acme")
    invitation = f"/console/invitations/{partner['domain_id']}/"
    assert re.search(r'id="invitation-type">resale<', browser.get(invitation).text)

    browser.post(invitation)

    [info] = _page(sdk_clients.bss(cloud.url, partner)).customer_infos
    assert (info.customer_id, info.association_type) == (customer["domain_id"], "2")


def test_unknown_partner_invitation_is_404(people):
    cloud, _, _ = people
    browser = Browser(cloud.url)
    browser.sign_in("acme")
    assert browser.get("/console/invitations/" + "0" * 32 + "/").status_code == 404


def agency_form(name, trusted, roles, duration="FOREVER"):
    data = {"name": name, "trusted_domain_name": trusted, "duration": duration, "description": ""}
    for region, names in roles.items():
        data[f"roles_{region}"] = names
    return data


def test_create_change_and_delete_an_agency(people):
    cloud, partner, customer = people
    browser = Browser(cloud.url)
    browser.sign_in("acme")

    created = browser.post(
        "/console/agencies/new/",
        agency_form("portal", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}),
    )
    assert "Agency portal created." in created.text
    reachable = projects(
        cloud, assume(cloud, partner, customer["domain_id"], "portal"), customer["domain_id"]
    )
    assert list(reachable) == [REGION]

    edit = browser.get("/console/agencies/portal/edit/")
    assert re.search(r'value="ECS ReadOnlyAccess"[^>]*checked', edit.text)
    changed = browser.post(
        "/console/agencies/portal/edit/",
        agency_form(
            "ignored", "partner-one", {REGION: ["ECS FullAccess"], "cn-north-4": ["Tenant Guest"]}
        ),
    )
    assert "Agency portal changed." in changed.text
    reachable = projects(
        cloud, assume(cloud, partner, customer["domain_id"], "portal"), customer["domain_id"]
    )
    assert sorted(reachable) == sorted([REGION, "cn-north-4"])

    deleted = browser.post("/console/agencies/portal/delete/")
    assert "Agency portal deleted." in deleted.text
    assert browser.get("/console/agencies/portal/edit/").status_code == 404


def test_agency_without_roles_or_with_itself_as_partner_is_refused(people):
    cloud, _, _ = people
    browser = Browser(cloud.url)
    browser.sign_in("acme")
    empty = browser.post("/console/agencies/new/", agency_form("portal", "partner-one", {}))
    assert "An agency needs at least one role." in empty.text
    itself = browser.post(
        "/console/agencies/new/", agency_form("portal", "acme", {REGION: ["Tenant Guest"]})
    )
    assert "An agency must trust another account." in itself.text


def test_another_customers_agency_is_404(people):
    cloud, _, _ = people
    other = cloud.control.create_account("globex")
    cloud.control.create_agency(
        other["domain_id"], "theirs", "partner-one", {REGION: ["Tenant Guest"]}
    )
    browser = Browser(cloud.url)
    browser.sign_in("acme")
    assert browser.get("/console/agencies/theirs/edit/").status_code == 404
    assert browser.post("/console/agencies/theirs/delete/").status_code == 404
