"""Sentences that a page and an e-mail both say, written once so they never disagree."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def regions_in_words(codes: Iterable[str] | None, names: dict[str, str]) -> list[dict]:
    """Regions as the pages name them: {"code", "name"} each, the name falling back to the code."""
    return [{"code": code, "name": names.get(code, code)} for code in codes or []]


def named(entries: Iterable[dict]) -> str:
    """ "AP-Singapore (ap-southeast-1), EU-Dublin (eu-west-101)": a name with its code."""
    return ", ".join(
        f"{e['name']} ({e['code']})" if e["name"] != e["code"] else e["code"] for e in entries
    )


def decision_outcome(decisions: Iterable[str]) -> str:
    """The customer's decision on a whole request from its items' decisions ("accepted",
    "declined" or "pending"): accepted, declined, or partly accepted with the count."""
    decisions = list(decisions)
    accepted = decisions.count("accepted")
    if decisions and accepted == len(decisions):
        return _("accepted")
    if accepted == 0:
        return _("declined")
    # "1 of 2 items": the noun follows the total.
    of_total = ngettext("%(n)d of %(total)d item", "%(n)d of %(total)d items", len(decisions))
    return _("partly accepted (%(items)s)") % {
        "items": of_total % {"n": accepted, "total": len(decisions)}
    }


def withdrawal_note(*, reseller_name: str, self_service: bool) -> str:
    """How the customer withdraws an accepted consent later: the receipt page and the receipt
    e-mail say the same. `self_service`: the receipt e-mail carries a withdrawal link."""
    if self_service:
        return _(
            "You can withdraw your consent at any time with the withdrawal link of each "
            "accepted item in the receipt e-mail; it shows what stops working before you confirm."
        )
    return _(
        "To withdraw access later, contact %(reseller)s or platform support and quote the "
        "receipt number."
    ) % {"reseller": reseller_name}
