"""Teams through the API: listed by id, chosen on a draft, shown on requests."""

from __future__ import annotations

from accounts.teams import team_create
from linking.models import LinkRequest

DELEGATION = {
    "link_type": "delegation",
    "services": ["ECS"],
    "regions": ["ap-southeast-1"],
    "access_level": "read_only",
    "duration_days": 30,
}


def test_teams_are_listed_and_chosen_on_a_draft(cast, initiator_api):
    team = team_create(actor=cast.admin, reseller=cast.reseller, name="Cloud ops")
    listed = initiator_api.get("/api/v1/teams/").json()
    assert [row["name"] for row in listed["results"]] == ["Cloud ops"]
    body = {"account_id": cast.customer.account_id, "items": [DELEGATION], "teams": [team.pk]}
    response = initiator_api.post("/api/v1/requests/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["teams"] == [{"id": team.pk, "name": "Cloud ops"}]
    req = LinkRequest.objects.get(pk=response.json()["id"])
    assert list(req.teams.all()) == [team]


def test_another_resellers_team_is_refused(cast, initiator_api):
    theirs = team_create(actor=cast.outsider_admin, reseller=cast.other, name="Theirs")
    body = {"account_id": cast.customer.account_id, "items": [DELEGATION], "teams": [theirs.pk]}
    response = initiator_api.post("/api/v1/requests/", body)
    assert response.status_code == 422
    assert "ACC-T005" in response.content.decode()
    assert not LinkRequest.objects.filter(reseller=cast.reseller).exists()
