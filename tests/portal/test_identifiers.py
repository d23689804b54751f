"""Identifiers typed or uploaded: invisible characters never make two keys of one, and a refused
value is shown as it really is."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.forms import MemberAddForm
from linking import checks
from linking.forms import CustomerForm, DetailsForm, ResendForm
from linking.models import BatchRow, LinkRequest
from portal.identifiers import clean_identifier, visible
from tests.conftest import cast_shared_by_the_module, login
from tests.linking.batch_helpers import csv_bytes, line, outcomes, upload

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

INVISIBLE = ["\u200b", "\ufeff", "\u00a0", "\u2060", "\u200e", " "]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_invisible_characters_around_or_inside_an_identifier_are_dropped(mark):
    assert clean_identifier(f"{mark}INC-1{mark}") == "INC-1"
    if mark not in ("\u00a0", " "):  # spaces inside a value are the value's own
        assert clean_identifier(f"61{mark}00") == "6100"


def test_compatibility_forms_are_folded():
    assert clean_identifier("ＩＮＣ－１") == "INC-1"
    assert clean_identifier("𝟗") == "9"


def test_visible_writes_invisible_and_control_characters_as_escapes():
    assert visible("6100\u200b0001") == "6100\\u200b0001"
    assert visible("a\x00b\tc\u00a0d") == "a\\u0000b\\u0009c\\u00a0d"
    assert visible("Café 12") == "Café 12"
    assert visible("x" * 100, 10) == "x" * 9 + "…"


def test_an_account_id_with_a_zero_width_space_finds_its_customer(cast):
    raw = "\ufeff" + cast.customer.formatted_id[:4] + "\u200b" + cast.customer.account_id[4:]
    customer, reasons = checks.find_customer(raw + "\u00a0")
    assert reasons == [] and customer == cast.customer


def test_a_refused_account_id_is_shown_with_its_invisible_characters():
    _, reasons = checks.parse_account_id("6100\u200b0001x")
    assert reasons[0].code == "LNK-V001"
    assert "6100\\u200b0001x" in reasons[0].message


def test_the_wizard_takes_an_account_id_pasted_with_invisible_characters(client, cast):
    from tests.linking.view_helpers import _start, wizard

    login(client, cast.initiator)
    req = _start(client)
    client.post(wizard(req, 1), {"link_types": ["billing"]})
    client.post(wizard(req, 2), {"account_id": "\u200b" + cast.customer.formatted_id + "\ufeff"})
    req = LinkRequest.objects.get(pk=req.pk)
    assert req.customer == cast.customer and req.account_id_input == cast.customer.account_id


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (CustomerForm, "account_id"),
        (DetailsForm, "ticket_reference"),
        (ResendForm, "contact_email"),
        (MemberAddForm, "email"),
    ],
)
def test_every_identifier_field_of_the_forms_is_normalised(form, field):
    value = "a@example.com" if "email" in field else "INC-1"
    bound = form({field: f"\ufeff{value}\u200b\u00a0", "consent_days": "14", "role": "viewer"})
    bound.is_valid()
    assert bound.cleaned_data[field] == value, bound.errors


def test_batch_keys_that_differ_only_by_invisible_characters_are_one_key(cast):
    batch = upload(
        cast,
        csv_bytes(
            line("k1", cast.customer.account_id),
            line("k1\u200b", cast.customer2.account_id),
            line("\ufeffk1\u00a0", cast.customer2.formatted_id),
        ),
    )
    rows = outcomes(batch)
    assert rows[3] == (BatchRow.Outcome.INVALID, "LNK-B011")
    assert rows[4][1].startswith("LNK-B011")
    assert set(batch.rows.values_list("key", flat=True)) == {"k1"}


def test_a_batch_account_id_with_a_zero_width_space_is_its_customer(cast):
    batch = upload(
        cast,
        csv_bytes(
            line("k1", cast.customer.account_id[:6] + "\u200b" + cast.customer.account_id[6:])
        ),
    )
    assert outcomes(batch) == {2: (BatchRow.Outcome.PENDING, "")}
    assert batch.rows.get().account_id == cast.customer.account_id


def test_the_batch_command_takes_a_partner_id_and_e_mail_with_invisible_characters(cast, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(csv_bytes(line("k1", cast.customer.account_id)))
    call_command(
        "batch_import",
        reseller="\ufeff" + cast.reseller.partner_id + "\u200b",
        user=cast.initiator.email + "\u00a0",
        file=str(path),
        dry_run=True,
    )
    with pytest.raises(CommandError, match=r"P-1\\u0001"):
        call_command("batch_import", reseller="P-1\x01", user="x", file=str(path), dry_run=True)


def test_the_request_filter_matches_a_ticket_typed_with_invisible_characters(client, cast):
    login(client, cast.viewer)
    response = client.get(reverse("linking:request-list"), {"ticket": "\u200bINC"})
    assert response.status_code == 200
    assert response.context["form"].cleaned_data["ticket"] == "INC"


def test_the_audit_trail_filter_takes_a_partner_id_with_invisible_characters(cast):
    from accounts.audit_admin import TrailFilterForm
    from accounts.audit_trail import trail_sources

    pid = cast.reseller.partner_id
    form = TrailFilterForm({"reseller": f"\u200b{pid}\ufeff"}, sources=trail_sources())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reseller"] == cast.reseller.pk
    refused = TrailFilterForm({"reseller": "P-9\x01"}, sources=trail_sources())
    assert not refused.is_valid()
    assert "P-9\\u0001" in refused.errors["reseller"][0]
