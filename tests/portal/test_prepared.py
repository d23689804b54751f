"""Prepared queries answer what their ORM query answers, for any arguments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User
from accounts.selectors import member_choices_for_reseller
from portal.prepared import PreparedQuery


def _members(*, reseller_id: int):
    return Membership.objects.filter(reseller_id=reseller_id).values_list("user_id", "role")


def test_rows_are_the_orm_querys_for_each_argument(cast):
    prepared = PreparedQuery(_members, "reseller_id")
    for reseller in (cast.reseller, cast.other, cast.reseller):
        expected = list(_members(reseller_id=reseller.pk))
        assert expected
        assert prepared.rows(reseller_id=reseller.pk) == expected
    assert prepared.rows(reseller_id=10**12) == []


def test_compiled_once_then_one_query_per_call(cast):
    prepared = PreparedQuery(_members, "reseller_id")
    prepared.rows(reseller_id=cast.reseller.pk)
    with CaptureQueriesContext(connection) as ctx:
        prepared.rows(reseller_id=cast.other.pk)
    assert len(ctx.captured_queries) == 1
    assert str(cast.other.pk) in ctx.captured_queries[0]["sql"]


def test_an_argument_the_query_never_uses_is_refused():
    prepared = PreparedQuery(
        lambda *, reseller_id: Membership.objects.values_list("pk"), "reseller_id"
    )
    with pytest.raises(ValueError, match="never uses"):
        prepared.rows(reseller_id=1)


def test_member_choices_name_members_as_str_does(cast):
    members = (
        Membership.objects.filter(reseller=cast.reseller)
        .select_related("user")
        .order_by("user__email", "pk")
    )
    expected = [(str(m.user_id), str(m.user)) for m in members]
    assert len(expected) > 1
    assert member_choices_for_reseller(reseller=cast.reseller) == expected
    nameless = User(first_name="", last_name="", email="", username="someone")
    assert User.label("", "", "", "someone") == str(nameless) == "someone"
    assert User.label(" Ann", "", "a@example.com", "x") == "Ann <a@example.com>"
