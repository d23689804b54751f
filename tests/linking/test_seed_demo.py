"""The demo data: realistic, covering every state, and idempotent."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Membership, Reseller, User
from linking.cloud import demo as cloud_demo
from linking.demo_data import DEMO_PASSWORD
from linking.identity import is_account_id, is_account_name
from linking.models import (
    ConsentRecord,
    CustomerAccount,
    Link,
    LinkRequest,
    Notification,
    Preset,
)


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            LinkRequest,
            CustomerAccount,
            User,
            Link,
            Membership,
            Reseller,
            ConsentRecord,
            Notification,
            Preset,
        )
    }


def test_seed_demo_covers_every_state_and_runs_twice_without_adding_rows(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    assert "portal-demo-2026" in out.getvalue()
    assert "admin@northwind.example" in out.getvalue()

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == first
    assert "0 objects created" in out.getvalue()

    assert set(LinkRequest.objects.values_list("status", flat=True)) == set(
        LinkRequest.Status.values
    )
    assert first["CustomerAccount"] >= 50
    statuses = set(CustomerAccount.objects.values_list("status", flat=True))
    assert statuses == set(CustomerAccount.Status.values)
    assert CustomerAccount.objects.filter(site="cn").exists()
    assert CustomerAccount.objects.filter(is_partner=True).exists()
    contoso = Reseller.objects.get(partner_id="P-200871")
    billed = Link.objects.get(reseller=contoso, link_type="billing")
    # Demo links wait for the demo customer's setup in the sandbox console.
    assert billed.status == Link.Status.AWAITING_SETUP
    assert Link.objects.filter(
        reseller__partner_id="P-100234", status=Link.Status.AWAITING_SETUP
    ).exists()
    both = User.objects.get(email="sam.both@partners.example")
    assert Membership.objects.filter(user=both).count() == 2
    auditor = User.objects.get(email="auditor@platform.example")
    assert auditor.is_staff and auditor.groups.filter(name="auditors").exists()
    assert User.objects.get(email="staff@platform.example").is_superuser
    assert all(u.check_password(DEMO_PASSWORD) for u in User.objects.all())
    assert Preset.objects.filter(reseller__partner_id="P-100234").count() == 2
    expired = LinkRequest.objects.get(ticket_reference="DEMO-EXPIRED")
    assert expired.history.filter(history_change_reason__contains="deadline").exists()


def test_demo_customers_have_the_demo_clouds_account_ids_and_names(db):
    call_command("seed_demo", stdout=StringIO())
    for account in cloud_demo.CUSTOMERS:
        customer = CustomerAccount.objects.get(account_id=account.domain_id)
        assert (customer.account_name, customer.display_name) == (
            account.name,
            account.display_name,
        )
    # Every other demo customer has a valid identity of its own, and no two share one.
    pairs = list(CustomerAccount.objects.values_list("account_id", "account_name"))
    assert len({i for i, _ in pairs}) == len({n for _, n in pairs}) == len(pairs)
    assert all(is_account_id(i) and is_account_name(n) for i, n in pairs)


def test_every_demo_link_awaiting_setup_can_be_set_up_in_the_sandbox_console(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    waiting = Link.objects.filter(status=Link.Status.AWAITING_SETUP).select_related("customer")
    assert waiting.count() >= 4  # Contoso's billing; Northwind's billing, provisioning, delegation
    console = {customer.domain_id: customer.name for customer in cloud_demo.CUSTOMERS}
    for link in waiting:
        # The demo customer signs in to the sandbox console to do its part.
        assert link.customer.account_id in console, link
        assert f"{link.reference} " in out.getvalue()
        assert console[link.customer.account_id] in out.getvalue()
        assert link.setup_deadline is not None and link.verification_status == "unverified"
    assert "docs/sandbox.md" in out.getvalue()


def test_a_demo_admin_signs_in_with_the_code_demo_code_prints(db, client):
    """`make run`'s admins and approvers must have a second factor: the demo gives each the
    published key, and `manage.py demo_code` prints the code their app would show."""
    from accounts.models import Role

    call_command("seed_demo", stdout=StringIO())
    admin = Membership.objects.filter(role=Role.ADMIN).select_related("user").first().user
    response = client.post(
        "/accounts/login/", {"username": admin.username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    code = StringIO()
    call_command("demo_code", stdout=code)
    response = client.post("/accounts/mfa/verify/", {"code": code.getvalue().strip(), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
