"""Presets: the wizard's rules judge them, admins manage them, everyone uses them (the wizard's
"start from a preset" and the batch importer's preset_resolve / preset_item_values)."""

import pytest
from django.urls import reverse

from accounts.models import Reseller
from linking import services
from linking.checks import ItemSpec
from linking.models import LinkRequest, Preset
from linking.services.presets import preset_item_values, preset_resolve
from linking.services.requests import link_request_dry_run
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, login, make_draft

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


def apac_read_only(days=90, services_=("ECS", "OBS")):
    return ItemSpec(
        link_type="delegation",
        services=list(services_),
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=days,
    )


def make_preset(cast, name="Read-only APAC", items=None, **kwargs):
    return services.preset_create(
        actor=cast.admin,
        reseller=cast.reseller,
        name=name,
        description="Monitoring contracts",
        items=[apac_read_only()] if items is None else items,
        **kwargs,
    )


def codes(error) -> list[str]:
    return [r.code for r in getattr(error, "reasons", [])] or [error.code]


# --- services ----------------------------------------------------------------------------------


def test_admin_creates_a_preset_with_history(cast):
    preset = make_preset(cast, consent_days=10)
    assert preset.items == [
        {
            "link_type": "delegation",
            "services": ["ECS", "OBS"],
            "regions": ["ap-southeast-1"],
            "access_level": "read_only",
            "duration_days": 90,
        }
    ]
    assert preset.created_by == cast.admin and preset.consent_days == 10
    row = preset.history.get()
    assert row.history_user == cast.admin and row.history_change_reason == "preset created"


def test_preset_items_are_normalised_like_a_request_item(cast):
    preset = make_preset(
        cast,
        items=[
            ItemSpec(
                link_type="delegation",
                services=["OBS", "ECS", "ECS"],
                regions=["ap-southeast-1"],
                access_level="read_only",
                duration_days=30,
            ),
            ItemSpec(link_type="billing", services=["ECS"], regions=["ap-southeast-1"]),
        ],
    )
    assert preset.link_types == ["billing", "delegation"]
    assert preset.items[0]["services"] == [] and preset.items[1]["services"] == ["ECS", "OBS"]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (ItemSpec(link_type="provisioning", services=["NOPE"], regions=["ap-southeast-1"]), "V015"),
        (ItemSpec(link_type="provisioning", services=["ECS"], regions=["cn-north-4"]), "V016"),
        (apac_read_only(days=0), "V017"),
        (apac_read_only(days=731), "V017"),
        (
            ItemSpec(
                link_type="delegation",
                services=["ECS"],
                regions=["ap-southeast-1"],
                access_level="owner",
                duration_days=5,
            ),
            "V018",
        ),
    ],
)
def test_a_preset_is_judged_by_the_wizards_rules(cast, spec, code):
    with pytest.raises(PortalError) as error:
        make_preset(cast, items=[spec])
    assert f"LNK-{code}" in codes(error.value)
    assert not Preset.objects.exists()


def test_the_program_must_allow_the_link_types(cast):
    Reseller.objects.filter(pk=cast.reseller.pk).update(allow_delegation=False)
    cast.reseller.refresh_from_db()
    with pytest.raises(PortalError) as error:
        make_preset(cast)
    assert codes(error.value) == ["LNK-V009"]


def test_a_preset_needs_a_type_and_a_sane_consent_deadline(cast):
    with pytest.raises(PortalError) as error:
        make_preset(cast, items=[], consent_days=45)
    assert codes(error.value) == ["LNK-V014", "LNK-V022"]


def test_names_are_unique_per_reseller_whatever_the_case(cast):
    make_preset(cast)
    with pytest.raises(PortalError) as error:
        make_preset(cast, name="  read-only   apac ")
    assert codes(error.value) == ["LNK-T002"]
    with pytest.raises(PortalError) as error:
        make_preset(cast, name="READ-ONLY APAC", items=[apac_read_only(days=0)])
    assert codes(error.value) == ["LNK-T002", "LNK-V017"]
    services.preset_create(
        actor=cast.outsider_admin,
        reseller=cast.other,
        name="Read-only APAC",
        items=[ItemSpec(link_type="billing")],
    )
    assert Preset.objects.count() == 2


def test_an_empty_name_is_refused(cast):
    with pytest.raises(PortalError) as error:
        make_preset(cast, name="   ")
    assert codes(error.value) == ["LNK-T004"]


@pytest.mark.parametrize("role", ["initiator", "approver", "viewer", "outsider_admin"])
def test_only_admins_of_the_reseller_manage_presets(cast, role):
    preset = make_preset(cast)
    actor = getattr(cast, role)
    with pytest.raises(PortalError) as error:
        services.preset_create(
            actor=actor, reseller=cast.reseller, name="Mine", items=[apac_read_only()]
        )
    assert error.value.code == "LNK-T003"
    with pytest.raises(PortalError):
        services.preset_update(
            actor=actor, preset_id=preset.pk, name="Renamed", items=[apac_read_only()]
        )
    with pytest.raises(PortalError):
        services.preset_delete(actor=actor, preset_id=preset.pk)
    preset.refresh_from_db()
    assert preset.name == "Read-only APAC"


def test_admin_changes_and_deletes_a_preset_with_history(cast):
    preset = make_preset(cast)
    services.preset_update(
        actor=cast.admin,
        preset_id=preset.pk,
        name="Read-only APAC",
        description="",
        items=[apac_read_only(days=30)],
    )
    preset.refresh_from_db()
    assert preset.items[0]["duration_days"] == 30
    services.preset_delete(actor=cast.admin, preset_id=preset.pk)
    assert not Preset.objects.exists()
    reasons = list(
        Preset.history.filter(id=preset.pk)
        .order_by("history_id")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons == ["preset created", "preset changed", "preset deleted"]


def test_resolve_finds_a_preset_by_name_and_refuses_an_unknown_one(cast):
    preset = make_preset(cast)
    assert preset_resolve(cast.reseller, "read-only  apac") == preset
    assert preset_resolve(reseller=cast.reseller, name=" Read-only APAC ") == preset
    unknown = [(cast.other, "Read-only APAC"), (cast.reseller, "Other"), (cast.reseller, "")]
    for reseller, name in unknown:
        with pytest.raises(PortalError) as error:
            preset_resolve(reseller, name)
        assert error.value.code == "LNK-T001"


def test_item_values_are_what_the_wizards_services_take(cast):
    values = preset_item_values(
        make_preset(cast, items=[ItemSpec(link_type="billing"), apac_read_only()], consent_days=5)
    )
    assert values == {
        "link_types": ["billing", "delegation"],
        "scopes": {"billing": ItemSpec(link_type="billing"), "delegation": apac_read_only()},
        "consent_days": 5,
    }
    # A batch row feeds them to the draft services as they are.
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    services.link_request_set_types(
        actor=cast.initiator, request_id=req.pk, link_types=values["link_types"]
    )
    services.link_request_set_customer(
        actor=cast.initiator, request_id=req.pk, account_id=cast.customer.account_id
    )
    services.link_request_set_scope(
        actor=cast.initiator, request_id=req.pk, scopes=values["scopes"]
    )
    req.refresh_from_db()
    assert [r.code for r in link_request_dry_run(actor=cast.initiator, req=req)] == []


def test_applying_a_preset_fills_the_draft_and_leaves_it_editable(cast):
    preset = make_preset(cast, items=[ItemSpec(link_type="billing"), apac_read_only(30)])
    preset_days = services.preset_update(
        actor=cast.admin,
        preset_id=preset.pk,
        name=preset.name,
        items=[ItemSpec(link_type="billing"), apac_read_only(30)],
        consent_days=12,
    )
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    req = services.link_request_apply_preset(
        actor=cast.initiator, request_id=req.pk, preset_id=preset_days.pk
    )
    req.refresh_from_db()
    items = {item.link_type: item for item in req.items.all()}
    assert set(items) == {"billing", "delegation"}
    assert items["delegation"].services == ["ECS", "OBS"]
    assert items["delegation"].duration_days == 30
    assert req.consent_days == 12 and req.status == LinkRequest.Status.DRAFT
    assert req.wizard_step == 2
    assert req.history.latest("history_id").history_change_reason == (
        "preset “Read-only APAC” applied"
    )


def test_another_resellers_preset_or_draft_cannot_be_applied(cast):
    theirs = services.preset_create(
        actor=cast.outsider_admin,
        reseller=cast.other,
        name="Theirs",
        items=[ItemSpec(link_type="billing")],
    )
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    with pytest.raises(PortalError) as error:
        services.link_request_apply_preset(
            actor=cast.initiator, request_id=req.pk, preset_id=theirs.pk
        )
    assert error.value.code == "LNK-T001"
    with pytest.raises(PortalError) as error:
        services.link_request_apply_preset(
            actor=cast.approver, request_id=req.pk, preset_id=make_preset(cast).pk
        )
    assert error.value.code == "LNK-S002"
    assert not req.items.exists()


def test_a_preset_that_no_longer_fits_the_program_is_refused_on_apply(cast):
    preset = make_preset(cast)
    Reseller.objects.filter(pk=cast.reseller.pk).update(allow_delegation=False)
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    with pytest.raises(PortalError) as error:
        services.link_request_apply_preset(
            actor=cast.initiator, request_id=req.pk, preset_id=preset.pk
        )
    assert codes(error.value) == ["LNK-V009"]
    assert not req.items.exists()


# --- pages ---------------------------------------------------------------------------------


def _form_data(**overrides):
    data = {
        "name": "Compute APAC",
        "description": "",
        "link_types": ["delegation"],
        "consent_days": "",
        "provisioning-services": [],
        "provisioning-regions": [],
        "provisioning-access_level": "",
        "delegation-services": ["ECS"],
        "delegation-regions": ["ap-southeast-1"],
        "delegation-access_level": "read_only",
        "delegation-duration_days": "60",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client, cast):
    preset = make_preset(cast)
    req = make_draft(cast)
    for target in [
        url("preset-list"),
        url("preset-create"),
        url("preset-edit", preset.pk),
        url("preset-delete", preset.pk),
    ]:
        response = client.get(target)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.post(url("preset-delete", preset.pk)).status_code == 302
    assert client.post(url("request-preset", req.pk), {"preset": preset.pk}).status_code == 302
    assert Preset.objects.filter(pk=preset.pk).exists()


def test_another_resellers_preset_is_a_404(client, cast):
    preset = make_preset(cast)
    login(client, cast.outsider_admin)
    assert client.get(url("preset-edit", preset.pk)).status_code == 404
    assert client.get(url("preset-delete", preset.pk)).status_code == 404
    assert client.post(url("preset-delete", preset.pk)).status_code == 404
    assert client.post(url("preset-edit", preset.pk), _form_data()).status_code == 404
    assert "Read-only APAC" not in client.get(url("preset-list")).content.decode()
    assert Preset.objects.get(pk=preset.pk).name == "Read-only APAC"


@pytest.mark.parametrize("role", ["initiator", "approver", "viewer"])
def test_other_roles_see_presets_but_cannot_change_them(client, cast, role):
    preset = make_preset(cast)
    login(client, getattr(cast, role))
    body = client.get(url("preset-list")).content.decode()
    assert "Read-only APAC" in body and url("preset-edit", preset.pk) not in body
    assert url("preset-create") not in body
    assert client.get(url("preset-create")).status_code == 403
    assert client.post(url("preset-create"), _form_data()).status_code == 403
    assert client.get(url("preset-edit", preset.pk)).status_code == 403
    assert client.post(url("preset-edit", preset.pk), _form_data()).status_code == 403
    assert client.post(url("preset-delete", preset.pk)).status_code == 403
    assert list(Preset.objects.values_list("name", flat=True)) == ["Read-only APAC"]


def test_admin_creates_edits_and_deletes_a_preset_on_its_pages(client, cast):
    login(client, cast.admin)
    page = client.get(url("preset-create")).content.decode()
    assert 'name="delegation-services"' in page and "Sensitive" in page
    response = client.post(url("preset-create"), _form_data())
    assert response.status_code == 302 and response["Location"] == url("preset-list")
    preset = Preset.objects.get()
    assert preset.items == [
        {
            "link_type": "delegation",
            "services": ["ECS"],
            "regions": ["ap-southeast-1"],
            "access_level": "read_only",
            "duration_days": 60,
        }
    ]
    edit = client.get(url("preset-edit", preset.pk)).content.decode()
    assert 'value="Compute APAC"' in edit and 'value="60"' in edit
    response = client.post(
        url("preset-edit", preset.pk),
        _form_data(**{"link_types": ["billing"], "consent_days": "3"}),
    )
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.link_types == ["billing"] and preset.consent_days == 3
    confirm = client.get(url("preset-delete", preset.pk))
    assert confirm.status_code == 200 and "Delete preset" in confirm.content.decode()
    assert Preset.objects.exists()
    assert client.post(url("preset-delete", preset.pk)).status_code == 302
    assert not Preset.objects.exists()


def test_the_form_shows_every_reason_and_saves_nothing(client, cast):
    make_preset(cast)
    login(client, cast.admin)
    response = client.post(url("preset-create"), _form_data(name="read-only apac"))
    assert response.status_code == 400 and "LNK-T002" in response.content.decode()
    response = client.post(
        url("preset-create"),
        _form_data(**{"delegation-services": [], "delegation-regions": [], "consent_days": "99"}),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert all(code in body for code in ["LNK-V015", "LNK-V016", "LNK-V022"])
    response = client.post(url("preset-create"), _form_data(**{"delegation-services": ["NOPE"]}))
    assert response.status_code == 400 and 'id="scope-invalid"' in response.content.decode()
    response = client.post(url("preset-create"), {"name": "x" * 500, "link_types": ["???"]})
    assert response.status_code == 400
    assert Preset.objects.count() == 1


def test_scope_fields_of_types_not_chosen_are_ignored(client, cast):
    login(client, cast.admin)
    data = _form_data(link_types=["billing"], **{"delegation-duration_days": "not a number"})
    assert client.post(url("preset-create"), data).status_code == 302
    assert Preset.objects.get().items == [
        {
            "link_type": "billing",
            "services": [],
            "regions": [],
            "access_level": "",
            "duration_days": None,
        }
    ]


def test_the_wizard_offers_presets_and_starts_from_one(client, cast):
    preset = make_preset(cast, items=[apac_read_only(45)])
    make_preset(cast, name="Billing", items=[ItemSpec(link_type="billing")])
    login(client, cast.initiator)
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    step1 = client.get(url("request-wizard", req.pk, 1)).content.decode()
    assert 'id="preset-form"' in step1 and "Read-only APAC" in step1 and ">Billing<" in step1
    response = client.post(url("request-preset", req.pk), {"preset": preset.pk})
    assert response["Location"] == url("request-wizard", req.pk, 2)
    client.post(url("request-wizard", req.pk, 2), {"account_id": cast.customer.account_id})
    step3 = client.get(url("request-wizard", req.pk, 3)).content.decode()
    # Pre-filled and still editable: the preset's choices are checked boxes of the usual form.
    assert 'name="delegation-duration_days" id="id_delegation-duration_days" value="45"' in step3
    assert 'value="ECS"' in step3 and "checked" in step3
    client.post(
        url("request-wizard", req.pk, 3),
        {
            "delegation-services": ["ECS"],
            "delegation-regions": ["ap-southeast-1"],
            "delegation-access_level": "read_only",
            "delegation-duration_days": "10",
        },
    )
    item = req.items.get()
    assert item.services == ["ECS"] and item.duration_days == 10


def test_applying_a_bad_choice_or_an_outsiders_draft(client, cast):
    preset = make_preset(cast)
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    login(client, cast.initiator)
    response = client.post(url("request-preset", req.pk), {"preset": "nope"}, follow=True)
    assert "Choose one of the presets offered" in response.content.decode()
    login(client, cast.outsider)
    assert client.post(url("request-preset", req.pk), {"preset": preset.pk}).status_code == 404
    login(client, cast.viewer)
    assert client.post(url("request-preset", req.pk), {"preset": preset.pk}).status_code == 403
    assert not req.items.exists()


def test_preset_list_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    target = url("preset-list")
    # 3 for every page (session, user, the membership with the role's permissions), count, page and
    # the sensitive services.
    budget = 3 + 3
    for size in (3, 30):
        for n in range(Preset.objects.count(), size):
            make_preset(cast, name=f"Preset {n}", items=[apac_read_only(services_=("IAM",))])
        client.get(target)
        with django_assert_num_queries(budget):
            response = client.get(target)
        assert response.status_code == 200
        assert response.content.decode().count("Sensitive: IAM") == min(size, 25)
