"""Login, passwords, the reseller switch and member management, with the named cast."""

import re

import pytest
from django.urls import reverse

from accounts.current import SESSION_KEY
from accounts.models import Membership, Role
from accounts.services import membership_add
from tests.conftest import PASSWORD, cast_shared_by_the_module
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

MEMBERS = reverse("accounts:member-list")
ADD = reverse("accounts:member-add")


def role_url(membership):
    return reverse("accounts:member-role", args=[membership.pk])


def remove_url(membership):
    return reverse("accounts:member-remove", args=[membership.pk])


def membership_of(user, reseller):
    return Membership.objects.get(user=user, reseller=reseller)


# --- login, logout, passwords ---------------------------------------------------------------


def test_it_redirects_anonymous_to_login(client, cast):
    viewer = membership_of(cast.viewer, cast.reseller)
    for method, url in [
        ("get", MEMBERS),
        ("post", ADD),
        ("post", role_url(viewer)),
        ("get", remove_url(viewer)),
        ("post", reverse("accounts:switch-reseller")),
        ("get", reverse("accounts:password-change")),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login") + "?next="), url


def test_login_page_renders_and_logs_in(client, cast):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    response = client.post(
        reverse("accounts:login"), {"username": cast.viewer.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    assert client.session["_auth_user_id"] == str(cast.viewer.pk)


def test_login_with_a_wrong_password_is_refused(client, cast):
    response = client.post(
        reverse("accounts:login"), {"username": cast.viewer.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"alert-danger" in response.content


def test_logout_is_post_only(client, cast):
    client.force_login(cast.viewer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_password_change_works(client, cast):
    client.force_login(cast.viewer)
    assert client.get(reverse("accounts:password-change")).status_code == 200
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-987",
            "new_password2": "another-long-pass-987",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-change-done")
    assert client.get(response.url).status_code == 200
    cast.viewer.refresh_from_db()
    assert cast.viewer.check_password("another-long-pass-987")


def test_password_reset_sends_a_mail_whose_link_sets_a_password(client, cast, mailoutbox):
    assert client.get(reverse("accounts:password-reset")).status_code == 200
    response = client.post(reverse("accounts:password-reset"), {"email": cast.viewer.email})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-reset-done")
    assert client.get(response.url).status_code == 200
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [cast.viewer.email]
    assert mail.subject == "Reset your Partner Portal password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.body).group(1)
    response = client.get(link)
    # Django swaps the token for a session marker and redirects to the set-password form.
    assert response.status_code == 302
    response = client.post(
        response.url,
        {"new_password1": "brand-new-pass-4321", "new_password2": "brand-new-pass-4321"},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-reset-complete")
    assert client.get(response.url).status_code == 200
    cast.viewer.refresh_from_db()
    assert cast.viewer.check_password("brand-new-pass-4321")


def test_password_reset_of_an_unknown_address_sends_nothing(client, cast, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "who@nowhere.example"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_user_without_reseller_sees_the_no_reseller_page(client, cast):
    client.force_login(cast.no_member)
    response = client.get(MEMBERS)
    assert response.status_code == 403
    assert b"not a member of any reseller" in response.content
    assert reverse("accounts:logout").encode() in response.content


# --- switching reseller ---------------------------------------------------------------------


@pytest.fixture
def two_hats(cast):
    """A user who is viewer of the first reseller and admin of the other."""
    user = UserFactory(email="distributor@example.com")
    membership_add(
        actor=None, reseller=cast.reseller, email=user.email, role=Role.VIEWER, check_actor=False
    )
    membership_add(
        actor=None, reseller=cast.other, email=user.email, role=Role.ADMIN, check_actor=False
    )
    return user


def test_switch_reseller_changes_the_current_reseller(client, cast, two_hats):
    client.force_login(two_hats)
    # Resellers are ordered by name: Contoso (other) comes first.
    assert client.get(MEMBERS).context["request"].reseller == cast.other
    response = client.post(reverse("accounts:switch-reseller"), {"reseller": cast.reseller.pk})
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    assert client.session[SESSION_KEY] == cast.reseller.pk
    response = client.get(MEMBERS)
    assert response.context["request"].reseller == cast.reseller
    assert response.context["can_manage"] is False


def test_switch_to_a_reseller_not_yours_is_404(client, cast):
    client.force_login(cast.viewer)
    response = client.post(reverse("accounts:switch-reseller"), {"reseller": cast.other.pk})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_switch_with_a_non_numeric_id_is_not_a_500(client, cast):
    client.force_login(cast.viewer)
    response = client.post(reverse("accounts:switch-reseller"), {"reseller": "abc"})
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_switch_is_post_only(client, cast):
    client.force_login(cast.viewer)
    assert client.get(reverse("accounts:switch-reseller")).status_code == 405


# --- member list ----------------------------------------------------------------------------


def test_viewer_sees_members_without_forms(client, cast):
    client.force_login(cast.viewer)
    response = client.get(MEMBERS)
    assert response.status_code == 200
    assert [m.user for m in response.context["members"]] == sorted(
        [cast.admin, cast.approver, cast.initiator, cast.viewer], key=lambda u: u.email
    )
    assert response.context["add_form"] is None
    assert ADD.encode() not in response.content
    assert b"Approver" in response.content
    assert cast.outsider.email.encode() not in response.content


def test_admin_sees_the_forms(client, cast):
    client.force_login(cast.admin)
    response = client.get(MEMBERS)
    assert response.status_code == 200
    assert ADD.encode() in response.content
    assert role_url(membership_of(cast.viewer, cast.reseller)).encode() in response.content


@pytest.mark.parametrize("count", [3, 20])
def test_member_list_query_budget_does_not_grow(client, cast, django_assert_num_queries, count):
    for n in range(count):
        user = UserFactory(email=f"extra{n}@northwind.example")
        membership_add(
            actor=None, reseller=cast.reseller, email=user.email, role="viewer", check_actor=False
        )
    client.force_login(cast.admin)
    # session, user, memberships with the role's permissions, member list, pending invitations.
    with django_assert_num_queries(5):
        response = client.get(MEMBERS)
    assert len(response.context["members"]) == 4 + count


# --- member add -----------------------------------------------------------------------------


def test_admin_adds_a_member_by_email(client, cast):
    client.force_login(cast.admin)
    response = client.post(ADD, {"email": "  Nobody@Example.com ", "role": "approver"})
    assert response.status_code == 302
    assert response.url == MEMBERS
    membership = membership_of(cast.no_member, cast.reseller)
    assert membership.role == Role.APPROVER
    assert membership.history.latest().history_user == cast.admin


def test_viewer_posting_member_add_is_403(client, cast):
    client.force_login(cast.viewer)
    response = client.post(ADD, {"email": cast.no_member.email, "role": "admin"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=cast.no_member).exists()


def test_outsider_admin_cannot_add_to_the_first_reseller(client, cast):
    client.force_login(cast.outsider_admin)
    client.post(ADD, {"email": cast.no_member.email, "role": "viewer"})
    assert not Membership.objects.filter(user=cast.no_member, reseller=cast.reseller).exists()


def test_member_add_of_an_unknown_email_shows_acc_m001(client, cast):
    client.force_login(cast.admin)
    response = client.post(ADD, {"email": "ghost@example.com", "role": "viewer"})
    assert response.status_code == 400
    assert b"ACC-M001" in response.content
    assert b"Ask platform staff to create the user first" in response.content
    assert Membership.objects.filter(reseller=cast.reseller).count() == 4


def test_member_add_of_a_member_shows_acc_m002(client, cast):
    client.force_login(cast.admin)
    response = client.post(ADD, {"email": cast.viewer.email, "role": "admin"})
    assert response.status_code == 400
    assert b"ACC-M002" in response.content
    assert membership_of(cast.viewer, cast.reseller).role == Role.VIEWER


@pytest.mark.parametrize(
    "data",
    [{"email": "not-an-address", "role": "viewer"}, {"email": "x@y.example", "role": "boss"}],
)
def test_member_add_with_bad_input_is_a_form_error(client, cast, data):
    client.force_login(cast.admin)
    response = client.post(ADD, data)
    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    assert Membership.objects.filter(reseller=cast.reseller).count() == 4


# --- member role ----------------------------------------------------------------------------


def test_admin_changes_a_role(client, cast):
    client.force_login(cast.admin)
    viewer = membership_of(cast.viewer, cast.reseller)
    response = client.post(role_url(viewer), {"role": "initiator"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == Role.INITIATOR
    assert viewer.history.latest().history_change_reason == "role changed from viewer to initiator"


def test_role_change_of_another_resellers_member_is_404_for_the_outsider(client, cast):
    client.force_login(cast.outsider)
    viewer = membership_of(cast.viewer, cast.reseller)
    assert client.post(role_url(viewer), {"role": "admin"}).status_code == 404
    assert client.get(remove_url(viewer)).status_code == 404
    assert client.post(remove_url(viewer)).status_code == 404
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER


def test_role_change_by_an_outsider_admin_is_404(client, cast):
    client.force_login(cast.outsider_admin)
    viewer = membership_of(cast.viewer, cast.reseller)
    assert client.post(role_url(viewer), {"role": "admin"}).status_code == 404
    assert client.post(remove_url(viewer)).status_code == 404
    assert Membership.objects.filter(pk=viewer.pk, role=Role.VIEWER).exists()


def test_role_change_by_a_viewer_is_403(client, cast):
    client.force_login(cast.viewer)
    initiator = membership_of(cast.initiator, cast.reseller)
    assert client.post(role_url(initiator), {"role": "admin"}).status_code == 403
    assert client.get(remove_url(initiator)).status_code == 403
    initiator.refresh_from_db()
    assert initiator.role == Role.INITIATOR


def test_role_change_to_an_unknown_role_is_an_error_message(client, cast):
    client.force_login(cast.admin)
    viewer = membership_of(cast.viewer, cast.reseller)
    response = client.post(role_url(viewer), {"role": "emperor"}, follow=True)
    assert response.status_code == 200
    assert b"Choose a valid role" in response.content
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER


def test_unknown_membership_is_404(client, cast):
    client.force_login(cast.admin)
    assert client.post("/accounts/members/999999/role/", {"role": "admin"}).status_code == 404
    assert client.post("/accounts/members/abc/role/", {"role": "admin"}).status_code == 404


def test_role_change_is_post_only(client, cast):
    client.force_login(cast.admin)
    assert client.get(role_url(membership_of(cast.viewer, cast.reseller))).status_code == 405


def test_last_admin_cannot_be_demoted(client, cast):
    client.force_login(cast.admin)
    admin = membership_of(cast.admin, cast.reseller)
    history_before = admin.history.count()
    response = client.post(role_url(admin), {"role": "viewer"}, follow=True)
    assert response.status_code == 200
    assert b"ACC-M003" in response.content
    assert b"Make another member admin first" in response.content
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert admin.history.count() == history_before


# --- member remove --------------------------------------------------------------------------


def test_admin_removes_a_member_after_confirming(client, cast):
    client.force_login(cast.admin)
    viewer = membership_of(cast.viewer, cast.reseller)
    response = client.get(remove_url(viewer))
    assert response.status_code == 200
    assert cast.viewer.email.encode() in response.content
    assert Membership.objects.filter(pk=viewer.pk).exists()
    response = client.post(remove_url(viewer))
    assert response.status_code == 302
    assert response.url == MEMBERS
    assert not Membership.objects.filter(pk=viewer.pk).exists()


def test_last_admin_cannot_be_removed(client, cast):
    client.force_login(cast.admin)
    admin = membership_of(cast.admin, cast.reseller)
    response = client.post(remove_url(admin), follow=True)
    assert response.status_code == 200
    assert b"ACC-M003" in response.content
    assert Membership.objects.filter(pk=admin.pk, role=Role.ADMIN).exists()
