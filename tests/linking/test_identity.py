"""The rules of a customer account's identity: one module normalises, validates and shows them."""

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from linking.cloud import demo as cloud_demo
from linking.identity import (
    ACCOUNT_NAME_RE,
    BAD_ACCOUNT_ID,
    BAD_ACCOUNT_NAME,
    NO_ACCOUNT_ID,
    account_label,
    format_account_id,
    normalise_account_id,
    parse_account_id,
    parse_account_name,
    short_account_id,
)
from portal.codes import CODES
from tests.factories import CustomerFactory

ID = "0c5a2b7e9f1d4c3ab8e6d0f2a4c6e8b1"


def _sandbox_pattern(name: str) -> re.Pattern:
    """A pattern of the sandbox cloud's services, read from its source: importing the module
    would register the sandbox's models in the portal's app registry."""
    source = Path(cloud_demo.__file__).with_name("sandbox") / "services.py"
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return re.compile(node.value.args[0].value)
    raise LookupError(name)


@pytest.mark.parametrize(
    "pasted",
    [
        ID,
        ID.upper(),
        f"  {ID}\u00a0",
        "0c5a2b7e-9f1d-4c3a-b8e6-d0f2a4c6e8b1",  # written as a UUID
        "0C5A 2B7E 9F1D 4C3A B8E6 D0F2 A4C6 E8B1",
        f"\ufeff{ID[:10]}\u200b{ID[10:]}",  # invisible characters from a chat client
    ],
)
def test_pasted_forms_of_an_id_are_the_same_id(pasted):
    assert normalise_account_id(pasted) == ID
    assert parse_account_id(pasted) == (ID, None)


@pytest.mark.parametrize(
    "raw",
    [
        "123456789012",  # the former 12-digit form is not an id any more
        ID[:-1],
        ID + "0",
        ID[:-1] + "g",
        "contoso-ops",
        f"{ID[:16]}_{ID[16:]}",
    ],
)
def test_anything_but_32_hex_characters_is_refused_as_malformed(raw):
    assert parse_account_id(raw) == ("", BAD_ACCOUNT_ID)


@pytest.mark.parametrize("raw", ["", "   ", " - ", None, "\u200b"])
def test_an_empty_id_is_refused_as_missing(raw):
    assert parse_account_id(raw) == ("", NO_ACCOUNT_ID)


def test_the_refusal_codes_are_in_the_catalogue():
    for code in (BAD_ACCOUNT_ID, BAD_ACCOUNT_NAME, NO_ACCOUNT_ID):
        assert code in CODES
    assert "32 hexadecimal" in CODES[BAD_ACCOUNT_ID].hint


@pytest.mark.parametrize("name", ["contoso-ops", "Contoso_Ops", "acme", "a.b-c_d", "x" * 64])
def test_account_names_keep_their_spelling(name):
    assert parse_account_name(f" {name}\u200b ") == (name, None)


def test_a_blank_account_name_is_allowed():
    assert parse_account_name("  ") == ("", None)


@pytest.mark.parametrize("name", ["contoso ops", "x" * 65, "café", "a/b", "<script>"])
def test_malformed_account_names_are_refused(name):
    assert parse_account_name(name) == ("", BAD_ACCOUNT_NAME)


def test_an_id_is_shown_in_full_with_its_name():
    assert format_account_id(ID) == ID
    assert short_account_id(ID) == "0c5a2b7e…"
    assert account_label("contoso-ops", ID) == f"contoso-ops ({ID})"
    assert account_label("", ID) == ID


@pytest.mark.django_db
def test_the_database_refuses_what_the_rules_refuse():
    CustomerFactory(account_id=ID, account_name="contoso-ops")
    for fields in (
        {"account_id": ID.upper()},
        {"account_id": "123456789012"},
        {"account_name": "contoso ops"},
        {"account_name": "contoso-ops"},  # taken
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(**fields)


@pytest.mark.django_db
def test_many_accounts_may_have_no_name_yet():
    CustomerFactory(account_name="")
    CustomerFactory(account_name="")


def test_the_migration_pads_former_ids_with_zeros():
    migration = importlib.import_module("linking.migrations.0013_customer_cloud_identity")
    assert migration.padded("123456789012") == "00000000000000000000123456789012"
    assert migration.padded(ID) == ID
    assert migration.unpadded("00000000000000000000123456789012") == "123456789012"


@pytest.mark.parametrize(
    "name",
    ["acme", "contoso-ops", "a.b_c-d", "x" * 64, "x" * 65, "", "bad name!", "café", "a/b"],
)
def test_the_portal_accepts_exactly_the_account_names_the_sandbox_cloud_creates(name):
    assert bool(ACCOUNT_NAME_RE.match(name)) == bool(_sandbox_pattern("NAME_RX").match(name))


def test_every_demo_cloud_account_has_a_valid_id_and_name():
    for account in (*cloud_demo.PARTNERS, *cloud_demo.CUSTOMERS):
        assert parse_account_id(account.domain_id) == (account.domain_id, None)
        assert parse_account_name(account.name) == (account.name, None)
