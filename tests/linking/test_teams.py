"""Links that name teams: their grants go to the teams and follow the teams' members; a change
of teams is a change of scope; the consent page, the approver and the verification see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Reseller, User
from accounts.teams import team_create, team_member_add, team_member_remove
from linking import journeys, services
from linking.models import Link, LinkRequest
from linking.permissions import customer_has_perm
from linking.services.teams import link_request_set_teams
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, login, make_draft, submit
from tests.journeys import accept, activate

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

READ = "linking.delegate_read_customeraccount"
VIEW = "linking.view_customeraccount"
Status = LinkRequest.Status


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def team_of(cast, name, *members):
    team = team_create(actor=cast.admin, reseller=cast.reseller, name=name)
    for user in members:
        team_member_add(actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=user.pk)
    return team


def submitted_with_teams(cast, teams) -> LinkRequest:
    draft = make_draft(cast)
    link_request_set_teams(
        actor=cast.initiator, request_id=draft.pk, team_ids=[t.pk for t in teams]
    )
    req = journeys.submit(draft, actor=cast.initiator, approver=cast.approver, reason="ok")
    req.refresh_from_db()
    return req


def team_link(cast, teams, django_capture_on_commit_callbacks) -> Link:
    with django_capture_on_commit_callbacks(execute=False):
        req = accept(cast, submitted_with_teams(cast, teams))
        link = Link.objects.filter(reseller=cast.reseller, customer=req.customer).latest("id")
        return activate(cast, link.pk)


def amend_teams(cast, link, teams) -> LinkRequest:
    req = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    link_request_set_teams(actor=cast.initiator, request_id=req.pk, team_ids=[t.pk for t in teams])
    return submit(cast, req)


@pytest.fixture
def ops(cast):
    """A team of the viewer alone: the initiator and approver are outside it."""
    return team_of(cast, "Cloud ops", cast.viewer)


def test_a_team_link_grants_to_the_team_only(cast, ops, django_capture_on_commit_callbacks):
    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    assert link.status == Link.Status.ACTIVE
    assert list(link.teams.all()) == [ops]
    assert customer_has_perm(fresh(cast.viewer), READ, cast.customer)
    # The operators hold nothing through it: not the initiator, not even view for the approver.
    assert not customer_has_perm(fresh(cast.initiator), READ, cast.customer)
    assert not customer_has_perm(fresh(cast.approver), VIEW, cast.customer)
    assert customer_has_perm(ops.group, READ, cast.customer)


def test_past_its_end_a_team_link_grants_the_team_nothing_though_the_sweep_has_not_run(
    cast, ops, django_capture_on_commit_callbacks
):
    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    with time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        assert not customer_has_perm(fresh(cast.viewer), READ, cast.customer)
        assert not fresh(cast.viewer).has_perm(READ, cast.customer)
        assert not customer_has_perm(ops.group, READ, cast.customer)
    link.refresh_from_db()
    assert link.status == Link.Status.ACTIVE


def test_no_team_chosen_keeps_the_operators(cast, django_capture_on_commit_callbacks):
    link = team_link(cast, [], django_capture_on_commit_callbacks)
    assert not link.teams.exists()
    assert customer_has_perm(fresh(cast.initiator), READ, cast.customer)
    assert customer_has_perm(fresh(cast.viewer), VIEW, cast.customer)
    assert not customer_has_perm(fresh(cast.viewer), READ, cast.customer)


def test_grants_follow_the_teams_members(cast, ops, django_capture_on_commit_callbacks):
    team_link(cast, [ops], django_capture_on_commit_callbacks)
    team_member_add(
        actor=cast.admin, reseller=cast.reseller, team_id=ops.pk, user_id=cast.approver.pk
    )
    assert customer_has_perm(fresh(cast.approver), READ, cast.customer)
    team_member_remove(
        actor=cast.admin, reseller=cast.reseller, team_id=ops.pk, user_id=cast.viewer.pk
    )
    assert not customer_has_perm(fresh(cast.viewer), READ, cast.customer)
    assert not fresh(cast.viewer).has_perm(READ, cast.customer)


def test_a_team_named_by_a_live_link_cannot_be_deleted(
    cast, ops, django_capture_on_commit_callbacks
):
    from accounts.teams import team_delete

    team_link(cast, [ops], django_capture_on_commit_callbacks)
    with pytest.raises(PortalError) as caught:
        team_delete(actor=cast.admin, reseller=cast.reseller, team_id=ops.pk)
    assert caught.value.code == "ACC-T004"


def test_narrowing_the_teams_applies_at_once(cast, ops, django_capture_on_commit_callbacks):
    night = team_of(cast, "Night shift", cast.approver)
    link = team_link(cast, [ops, night], django_capture_on_commit_callbacks)
    assert customer_has_perm(fresh(cast.approver), READ, cast.customer)
    with django_capture_on_commit_callbacks(execute=False):
        req = amend_teams(cast, link, [ops])
    assert req.status == Status.COMPLETED
    assert list(Link.objects.get(pk=link.pk).teams.all()) == [ops]
    assert not customer_has_perm(fresh(cast.approver), READ, cast.customer)
    assert customer_has_perm(fresh(cast.viewer), READ, cast.customer)


def test_widening_the_teams_needs_approval(cast, ops, django_capture_on_commit_callbacks):
    # Read-only delegation goes straight to the customer under this policy; more people acting
    # on the customer does not.
    assert cast.reseller.approval_policy == Reseller.ApprovalPolicy.BEYOND_READ_ONLY
    night = team_of(cast, "Night shift", cast.approver)
    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        req = amend_teams(cast, link, [ops, night])
    assert req.status == Status.PENDING_APPROVAL
    assert list(Link.objects.get(pk=link.pk).teams.all()) == [ops]
    assert not customer_has_perm(fresh(cast.approver), READ, cast.customer)


def test_back_to_the_operators_is_a_widening(cast, ops, django_capture_on_commit_callbacks):
    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        req = amend_teams(cast, link, [])
    assert req.status == Status.PENDING_APPROVAL


def test_the_consent_page_names_the_teams_and_their_members(client, cast, ops):
    req = submitted_with_teams(cast, [ops])
    token = consent_token_for(req)
    response = client.get(reverse("consent:page", args=[token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cloud ops" in body
    assert cast.viewer.get_full_name() in body or cast.viewer.email in body


def test_the_approver_sees_the_teams(client, cast, ops):
    cast.reseller.approval_policy = Reseller.ApprovalPolicy.ALWAYS
    cast.reseller.save(update_fields=["approval_policy"])
    draft = make_draft(cast)
    link_request_set_teams(actor=cast.initiator, request_id=draft.pk, team_ids=[ops.pk])
    req = submit(cast, draft)
    assert req.status == Status.PENDING_APPROVAL
    response = login(client, cast.approver).get(reverse("linking:request-detail", args=[req.pk]))
    assert b'id="request-teams"' in response.content
    assert b"Cloud ops" in response.content


def test_another_resellers_team_is_refused(cast):
    theirs = team_create(actor=cast.outsider_admin, reseller=cast.other, name="Theirs")
    draft = make_draft(cast)
    with pytest.raises(PortalError) as caught:
        link_request_set_teams(actor=cast.initiator, request_id=draft.pk, team_ids=[theirs.pk])
    assert caught.value.code == "ACC-T005"


def test_verification_reads_the_teams_members(cast, ops, django_capture_on_commit_callbacks):
    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    run = link.verification_runs.latest("id")
    check = next(c for c in run.checks if c["name"] == "who_acts")
    assert check["passed"]
    read = {row["what"]: row["value"] for row in check["rule"]["read"]}
    assert read == {"Members of the team Cloud ops": cast.viewer.email}
    # Nobody outside the team: the initiator's address is not what the check read.
    assert cast.initiator.email not in str(check["rule"])


def test_verification_fails_when_someone_outside_the_teams_holds_the_access(
    cast, ops, django_capture_on_commit_callbacks
):
    from guardian.shortcuts import assign_perm

    from accounts.models import ResellerRoleGroup
    from linking.services.verification import link_checklist

    link = team_link(cast, [ops], django_capture_on_commit_callbacks)
    initiators = ResellerRoleGroup.objects.get(reseller=cast.reseller, role="initiator").group
    assign_perm(READ, initiators, cast.customer)
    checks, _ = link_checklist(link)
    check = next(c for c in checks if c["name"] == "who_acts")
    assert not check["passed"] and check["code"] == "ACC-T007"


def test_the_wizard_sets_the_teams_on_the_scope_step(client, cast, ops):
    draft = make_draft(cast)
    login(client, cast.initiator)
    url = reverse("linking:request-wizard", args=[draft.pk, 3])
    page = client.get(url)
    assert b'id="scope-teams"' in page.content
    item = draft.items.get()
    response = client.post(
        url,
        {
            f"{item.link_type}-services": item.services,
            f"{item.link_type}-regions": item.regions,
            f"{item.link_type}-access_level": item.access_level,
            f"{item.link_type}-duration_days": item.duration_days,
            "teams": [ops.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(draft.teams.all()) == [ops]
    review = client.get(reverse("linking:request-wizard", args=[draft.pk, 4]))
    assert b'id="review-teams"' in review.content and b"Cloud ops" in review.content
