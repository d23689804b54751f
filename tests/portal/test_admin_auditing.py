"""The admin as auditors read it: every page and every history open, nothing changed by any
URL of the admin; history pages show what changed and need their own permission. The world is
built once per module (tests/portal/conftest.py)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.admin import HistoryAdmin
from accounts.models import AuditEvent, Membership, Reseller, ResellerRoleGroup
from linking.models import ConsentRecord, CustomerAccount, Link, LinkRequest, Notification
from tests.portal.admin_world import history_url, snapshot, some_row, url

pytestmark = pytest.mark.django_db


def registered():
    return [
        pytest.param(model, id=f"{model._meta.app_label}.{model._meta.model_name}")
        for model in admin.site._registry
    ]


def test_every_domain_model_is_registered():
    for model in [
        Reseller,
        Membership,
        ResellerRoleGroup,
        CustomerAccount,
        LinkRequest,
        Link,
        ConsentRecord,
        Notification,
        AuditEvent,
    ]:
        assert model in admin.site._registry


@pytest.mark.parametrize("model", registered())
def test_auditor_reads_every_page_and_history(client, world, model):
    client.force_login(world.auditor)
    obj = some_row(model)
    assert client.get(url(model, "changelist")).status_code == 200
    response = client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert client.get(url(model, "history", obj.pk)).status_code == 200
    if isinstance(admin.site._registry[model], HistoryAdmin):
        response = client.get(history_url(model, obj))
        assert response.status_code == 200
        assert b"Revert" not in response.content


@pytest.mark.parametrize("model", registered())
def test_auditor_changes_nothing(client, world, model):
    client.force_login(world.auditor)
    obj = some_row(model)
    before = model._default_manager.count()
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {}).status_code == 403
    assert client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    if isinstance(admin.site._registry[model], HistoryAdmin):
        history_before = obj.history.count()
        assert client.post(history_url(model, obj), {}).status_code == 403
        assert obj.history.count() == history_before
    assert model._default_manager.count() == before


def test_auditor_cannot_change_a_password_or_object_permissions(client, world):
    client.force_login(world.auditor)
    target = world.admin
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(password_url).status_code == 403
    response = client.post(
        password_url, {"password1": "hijacked-pass-123", "password2": "hijacked-pass-123"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.check_password("hijacked-pass-123")
    # guardian's page needs guardian's own permissions, which auditors do not hold.
    response = client.get(url(Reseller, "permissions", world.reseller.pk))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_auditors_group_is_in_the_admin_as_view_only(client, world):
    client.force_login(world.auditor)
    group = Group.objects.get(name="auditors")
    response = client.get(url(Group, "change", group.pk))
    assert response.status_code == 200
    assert client.post(url(Group, "change", group.pk), {"name": "x"}).status_code == 403


# --- every admin URL, walked for the auditor ---------------------------------------------------

# What an auditor gets from each kind of admin URL, by the end of its name: (GET, POST).
# A new kind of admin view fails the walk until it is classified here.
AUDITOR_POLICY = {
    "changelist": (200, None),  # POST: an action; checked below to change nothing
    "add": (403, 403),
    "change": (200, 403),  # a read-only page; saving is refused
    "delete": (403, 403),
    "history": (200, 200),  # a page; a POST changes nothing
    "simple_history": (200, 403),  # a historical version; revert is refused
    "password_change": (403, 403),
    # guardian sends users without its permissions away; a POST is refused for everyone.
    "permissions": (302, 403),
    "permissions_manage_user": (302, 403),
    "permissions_manage_group": (302, 403),
    "trail": (200, 405),
    "export": (400, 405),  # without a date range
}


def admin_urls(model, world):
    obj = some_row(model)
    model_admin = admin.site._registry[model]
    prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
    group = Group.objects.order_by("pk").first()
    for pattern in model_admin.get_urls():
        if pattern.name is None:  # <object_id>/ only redirects to the change page
            continue
        kind = pattern.name.removeprefix(prefix).removeprefix("auth_user_")
        args = {
            "changelist": [],
            "add": [],
            "trail": [],
            "export": [],
            "simple_history": lambda: [obj.pk, obj.history.order_by("history_id")[0].pk],
            "permissions_manage_user": [obj.pk, world.admin.pk],
            "permissions_manage_group": [obj.pk, group.pk],
        }.get(kind, [obj.pk])
        args = args() if callable(args) else args
        yield kind, reverse(f"admin:{pattern.name}", args=args), obj


def test_auditor_walk_of_every_admin_url_changes_nothing(client, world):
    # Generated from the registry, in one test so the world is built once.
    client.force_login(world.auditor)
    before = snapshot()
    walked = [item for model in admin.site._registry for item in admin_urls(model, world)]
    assert len(walked) > 5 * len(admin.site._registry)
    for kind, path, obj in walked:
        assert kind in AUDITOR_POLICY, f"classify the admin view {kind!r} ({path})"
        get_status, post_status = AUDITOR_POLICY[kind]
        assert client.get(path).status_code == get_status, path
        if kind == "changelist":
            response = client.post(
                path, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
            )
            assert response.status_code in (200, 302), path
        else:
            data = {"_save": "Save", "post": "yes", "name": "x", "password1": "x-1234567"}
            assert client.post(path, data).status_code == post_status, path
    assert snapshot() == before


def test_history_pages_show_field_by_field_changes(client, world):
    customer = world.customer
    customer.display_name = "Renamed Retail"
    customer._change_reason = "renamed"
    customer.save()
    client.force_login(world.auditor)
    response = client.get(url(CustomerAccount, "history", customer.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Changes" in content
    assert "Renamed Retail" in content and "&rarr;" in content
    assert "renamed" in content


def test_history_needs_the_historical_view_permission(client, world):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    clerk = UserFactory(email="clerk@platform.example", username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_customeraccount"))
    client.force_login(clerk)
    customer = world.customer
    assert client.get(url(CustomerAccount, "change", customer.pk)).status_code == 200
    assert client.get(url(CustomerAccount, "history", customer.pk)).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_historicalcustomeraccount"))
    client.force_login(clerk)
    assert client.get(url(CustomerAccount, "history", customer.pk)).status_code == 200
