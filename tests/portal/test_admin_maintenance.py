"""The admin as staff maintain data with it: customer accounts and resellers added, and what
nobody may do there (revert a history, edit memberships or requests, delete a user, grant
roles or permissions), bad ids refused. The world is built once per module
(tests/portal/conftest.py)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Reseller, ResellerRoleGroup, User
from linking.models import ConsentRecord, CustomerAccount, Link, LinkRequest, LinkScopeSnapshot
from tests.portal.admin_world import history_url, snapshot, url

pytestmark = pytest.mark.django_db


def test_history_revert_is_refused_even_for_staff(client, world):
    client.force_login(world.staff)
    customer = world.customer
    old = customer.history.order_by("history_id").first()
    customer.display_name = "Renamed Retail"
    customer.save()
    response = client.post(
        history_url(CustomerAccount, customer),
        {"account_id": customer.account_id, "display_name": old.display_name},
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.display_name == "Renamed Retail"


def test_staff_adds_a_customer_account(client, world):
    client.force_login(world.staff)
    assert client.get(url(CustomerAccount, "add")).status_code == 200
    response = client.post(
        url(CustomerAccount, "add"),
        {
            # Pasted as the cloud console shows a UUID, in upper case: stored in normal form.
            "account_id": "55556666-0000-0000-0000-00000000777A",
            "account_name": "umbrella-corp",
            "display_name": "Umbrella Corp",
            "contact_email": "it@umbrella.example",
            "site": "intl",
            "regions": [world.region_a.pk],
            "status": "active",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = CustomerAccount.objects.get(account_id="5555666600000000000000000000777a")
    assert customer.account_name == "umbrella-corp"
    assert list(customer.regions.all()) == [world.region_a]
    # The row and its regions are two history records, both by the staff member.
    assert {r.history_user for r in customer.history.all()} == {world.staff}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"account_id": "123456789012"}, "LNK-V001"),
        ({"account_id": "G" * 32}, "LNK-V001"),
        ({"account_name": "umbrella corp"}, "LNK-V023"),
    ],
)
def test_staff_adding_a_malformed_account_id_or_name_sees_its_code(client, world, fields, code):
    client.force_login(world.staff)
    values = {
        "account_id": "5555666600000000000000000000777b",
        "display_name": "Umbrella Corp",
        "site": "intl",
        "status": "active",
        **fields,
    }
    response = client.post(url(CustomerAccount, "add"), values)
    assert response.status_code == 200
    assert f"({code})" in response.content.decode()
    assert not CustomerAccount.objects.filter(display_name="Umbrella Corp").exists()


def test_staff_finds_a_customer_by_account_name_or_the_start_of_its_id(client, world):
    client.force_login(world.staff)

    def found(term):
        page = client.get(url(CustomerAccount, "changelist"), {"q": term})
        return set(page.context["cl"].queryset.values_list("pk", flat=True))

    assert found("acme-ret") == {world.customer.pk}
    assert found(world.customer.account_id[:10].upper()) == {world.customer.pk}
    assert found(world.customer2.account_id) == {world.customer2.pk}


def test_staff_adding_a_reseller_creates_its_role_groups(client, world):
    client.force_login(world.staff)
    response = client.post(
        url(Reseller, "add"),
        {
            "partner_id": "P-400004",
            "name": "Initech",
            "site": "intl",
            "tier": "reseller",
            "allow_billing": "on",
            "approval_policy": "always",
            "consent_days": "7",
            "consent_reminders": "50%,1d",
            "approval_days": "7",
            "approval_reminder_hours": "24",
            "setup_window_days": "14",
            "delegation_days": "90",
            "status": "active",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    reseller = Reseller.objects.get(partner_id="P-400004")
    assert set(reseller.role_groups.values_list("role", flat=True)) == {
        "admin",
        "initiator",
        "approver",
        "viewer",
    }
    assert reseller.history.get().history_user == world.staff


def test_staff_cannot_edit_memberships_or_requests_in_the_admin(client, world):
    client.force_login(world.staff)
    membership = Membership.objects.get(user=world.viewer, reseller=world.reseller)
    response = client.post(url(Membership, "change", membership.pk), {"role": "admin"})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "viewer"
    assert client.get(url(Membership, "add")).status_code == 403
    req = LinkRequest.objects.get()
    assert client.post(url(LinkRequest, "delete", req.pk), {"post": "yes"}).status_code == 403
    record = ConsentRecord.objects.get()
    assert client.post(url(ConsentRecord, "change", record.pk), {}).status_code == 403


def test_nobody_deletes_a_user_in_the_admin(client, world):
    client.force_login(world.staff)
    target = world.viewer
    assert client.get(url(User, "delete", target.pk)).status_code == 403
    assert client.post(url(User, "delete", target.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        url(User, "changelist"),
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert User.objects.filter(pk=target.pk).exists()


def test_staff_deleting_a_region_keeps_every_history_row(client, world):
    from linking.models import Region

    region = Region.objects.create(code="eu-west-9", name="Spare", site="intl")
    world.customer2.regions.add(region)
    history_before = Region.history.count() + CustomerAccount.history.count()
    client.force_login(world.staff)
    response = client.post(url(Region, "delete", region.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Region.objects.filter(pk=region.pk).exists()
    # One more row, the deletion; none rewritten (PostgreSQL would refuse it).
    assert Region.history.count() + CustomerAccount.history.count() == history_before + 1


# --- roles are read-only in the admin --------------------------------------------------------


def test_staff_cannot_grant_permissions_on_guardians_pages(client, world):
    client.force_login(world.staff)
    reseller = world.reseller
    group = ResellerRoleGroup.objects.get(reseller=reseller, role="viewer").group
    customer = Link.objects.get().customer
    base = url(Reseller, "permissions", reseller.pk)
    user_page = reverse(
        "admin:accounts_reseller_permissions_manage_user", args=[reseller.pk, world.viewer.pk]
    )
    group_page = reverse(
        "admin:accounts_reseller_permissions_manage_group", args=[reseller.pk, group.pk]
    )
    # Staff may read what is held.
    for path in (base, user_page, group_page):
        assert client.get(path).status_code == 200, path
    before = snapshot()
    posts = [
        (base, {"submit_manage_group": "1", "group": group.name}),
        (base, {"submit_manage_user": "1", "user": world.viewer.username}),
        (group_page, {"permissions": ["manage_members", "approve_requests"]}),
        (user_page, {"permissions": ["manage_members"]}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 403, path
    assert snapshot() == before
    assert not AuditEvent.objects.filter(actor=world.staff).exists()
    assert not world.viewer.has_perm("accounts.manage_members", reseller)
    assert world.viewer.has_perm("linking.view_customeraccount", customer)


def test_staff_cannot_put_a_user_into_a_role_group_in_the_user_admin(client, world):
    client.force_login(world.staff)
    admin_group = ResellerRoleGroup.objects.get(reseller=world.reseller, role="admin").group
    viewer_group = ResellerRoleGroup.objects.get(reseller=world.reseller, role="viewer").group
    auditors = Group.objects.get(name="auditors")
    user = world.viewer
    page = client.get(url(User, "change", user.pk))
    assert page.status_code == 200
    offered = set(page.context["adminform"].form.fields["groups"].queryset)
    assert offered == {auditors}
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    response = client.post(url(User, "change", user.pk), {**data, "groups": [admin_group.pk]})
    assert response.status_code == 200  # the form refuses the choice
    assert set(user.groups.all()) == {viewer_group}
    # Saving with a platform group keeps the role group as it is; leaving it out too.
    response = client.post(url(User, "change", user.pk), {**data, "groups": [auditors.pk]})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(user.groups.all()) == {viewer_group, auditors}
    response = client.post(url(User, "change", user.pk), data)
    assert response.status_code == 302
    assert set(user.groups.all()) == {viewer_group}


def test_staff_cannot_change_or_delete_a_role_group_in_the_group_admin(client, world):
    client.force_login(world.staff)
    group = ResellerRoleGroup.objects.get(reseller=world.reseller, role="viewer").group
    assert client.get(url(Group, "change", group.pk)).status_code == 200
    before = snapshot()
    assert client.post(url(Group, "change", group.pk), {"name": "x"}).status_code == 403
    assert client.post(url(Group, "delete", group.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        url(Group, "changelist"),
        {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert snapshot() == before
    # The platform's own groups stay editable.
    auditors = Group.objects.get(name="auditors")
    assert client.get(url(Group, "change", auditors.pk)).status_code == 200


def test_staff_cannot_put_a_user_into_a_team_group_nor_change_or_delete_it(client, world):
    # A team's group holds what live links naming the team grant on customer accounts: its users
    # are the team's members, chosen on the team's page (step-up, audit event) only.
    from accounts.teams import team_create, team_member_add

    team = team_create(actor=world.admin, reseller=world.reseller, name="Cloud ops")
    team_member_add(
        actor=world.admin, reseller=world.reseller, team_id=team.pk, user_id=world.viewer.pk
    )
    client.force_login(world.staff)
    page = client.get(url(User, "change", world.initiator.pk))
    assert team.group not in page.context["adminform"].form.fields["groups"].queryset
    data = {
        "username": world.initiator.username,
        "email": world.initiator.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = client.post(
        url(User, "change", world.initiator.pk), {**data, "groups": [team.group.pk]}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not world.initiator.groups.filter(pk=team.group.pk).exists()
    # The viewer's save keeps the team group, as it keeps the role group.
    viewer = {**data, "username": world.viewer.username, "email": world.viewer.email}
    assert client.post(url(User, "change", world.viewer.pk), viewer).status_code == 302
    assert world.viewer.groups.filter(pk=team.group.pk).exists()
    before = snapshot()
    assert client.post(url(Group, "change", team.group.pk), {"name": "x"}).status_code == 403
    assert client.post(url(Group, "delete", team.group.pk), {"post": "yes"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("visitor", ["staff", "auditor"])
def test_scope_snapshots_are_found_by_the_links_reference_region_or_code(client, world, visitor):
    client.force_login(getattr(world, visitor))
    link = Link.objects.get()
    changelist = url(LinkScopeSnapshot, "changelist")

    def found(term):
        response = client.get(changelist, {"q": term})
        assert response.status_code == 200, term
        return response.context["cl"].result_count

    for term in (link.reference, link.reference.lower(), str(link.pk), "ap-southeast-1"):
        assert found(term) == 1, term
    for term in ("LK-999999", "x", "LK-" + "9" * 30, "eu-west-0"):
        assert found(term) == 0, term


def test_a_group_id_beyond_any_database_integer_is_an_invalid_choice(world):
    from accounts.admin import PortalUserChangeForm

    form = PortalUserChangeForm(
        {"username": world.viewer.username, "groups": ["9" * 40]}, instance=world.viewer
    )
    assert not form.is_valid()
    assert "groups" in form.errors


def test_an_id_beyond_any_database_integer_is_an_invalid_choice(rf, world):
    # SQLite raises OverflowError for such an integer: every many-to-many choice of the admin
    # forms refuses it as an invalid choice instead (the user's groups and permissions, a
    # group's permissions, a customer's regions).
    request = rf.get("/")
    request.user = world.staff
    huge = "9" * 40
    for model, obj, fields in [
        (User, world.viewer, ["groups", "user_permissions"]),
        (Group, Group.objects.get(name="auditors"), ["permissions"]),
        (CustomerAccount, world.customer, ["regions"]),
    ]:
        form_class = admin.site._registry[model].get_form(request, obj)
        for name in fields:
            form = form_class({name: [huge]}, instance=obj)
            assert not form.is_valid()
            assert name in form.errors, (model, name)
    # The user form refuses it on its own too, outside the admin.
    from accounts.admin import PortalUserChangeForm

    for name in ["groups", "user_permissions"]:
        form = PortalUserChangeForm({name: [huge]}, instance=world.viewer)
        assert not form.is_valid()
        assert name in form.errors, name


def hidden_relation_names(model) -> set[str]:
    return {f.name for f in model._meta.get_fields(include_hidden=True) if f.name.endswith("+")}


def test_a_hidden_relation_as_to_field_is_refused_not_a_server_error(client, world):
    # `?_to_field=` naming a hidden reverse relation (simple-history's many-to-many history
    # rows point at customers with related_name "+") crashed Django's admin (AttributeError).
    client.force_login(world.staff)
    crashed = []
    for model in admin.site._registry:
        for name in hidden_relation_names(model) | {"+"}:
            for page in [url(model, "changelist"), url(model, "add")]:
                response = client.get(page, {"_to_field": name})
                if response.status_code >= 500:
                    crashed.append((page, name, response.status_code))
    assert crashed == []
    assert hidden_relation_names(CustomerAccount), "the case this test is about exists"
