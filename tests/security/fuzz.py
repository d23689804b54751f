"""Strategies and settings of the property-based tests: arbitrary input, and the worst of it."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Examples per HTTP target; a form costs no request, so each form gets four times as many.
# CI stays fast with the default; a deeper run sets PORTAL_FUZZ_EXAMPLES=500.
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "25"))
FORM_EXAMPLES = 4 * EXAMPLES

_SUPPRESSED = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.nested_given,
]
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=_SUPPRESSED
)
FUZZ_FORMS = settings(FUZZ, max_examples=FORM_EXAMPLES)

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e",
    "\ufeff",
    "\U0001f600",
    "İ",
    "²",
    "١٢٣",
    "𝟗",
    "-1",
    "0",
    "1",
    "2147483648",
    "9" * 30,
    "1e400",
    "NaN",
    "%",
    "_",
    "\\",
    "'",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "\r\nX-Injected: 1",
    "accept",
    "decline",
    "on",
    "failed",
    "draft",
    "pending_approval",
    "billing",
    "delegation",
    "read_only",
    "manage",
    "ECS",
    "IAM",
    "ap-southeast-1",
    "123456789012",  # the former format of an account id
    "12345678000000000000000000009012",
    "1234-5678-0000-0000-0000-0000-0000-9012",
    "0C5A2B7E-9F1D-4C3A-B8E6-D0F2A4C6E8B1",
    "acme-retail",
    "viewer",
    "admin",
]


def _huge(piece: str, n: int) -> str:
    return piece * n


text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.integers().map(str),
    st.builds(_huge, st.sampled_from(["x", "9", "é", "\x00", "%"]), st.integers(1000, 20_000)),
)


def bodies(names: list[str]):
    """Form data: known field names and arbitrary ones, each with one or several values."""
    keys = st.one_of(st.sampled_from(names), text) if names else text
    return st.dictionaries(keys, st.one_of(text, st.lists(text, max_size=3)), max_size=8)


def pairs(data: dict) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key, values in data.items()
        for value in (values if isinstance(values, list) else [values])
    ]
