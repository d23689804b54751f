"""Identifiers a person types or uploads: the one place that normalises them and shows them back.

An account id pasted from a chat client or a spreadsheet often carries characters nobody sees (a
zero-width space, a byte order mark, a non-breaking space). Two keys that look the same must be
the same key, and a refused value must be shown as it really is, not as a valid-looking one.
Every form field, the batch and directory imports and the commands go through `clean_identifier`,
and every message that echoes input goes through `visible`.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms

# Characters PostgreSQL cannot keep in a text column (NUL), and UTF-16 surrogates, which no
# UTF-8 text may hold. One pattern: every value of every request is searched for them, and a
# form value may be many thousands of characters long.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """True when the text holds a character the database cannot store."""
    return _UNSTORABLE.search(text) is not None


def clean_identifier(raw: object) -> str:
    """NFKC, without format characters (zero-width space, BOM, bidi marks) and without the
    whitespace around it (a non-breaking space included)."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.strip()


def _shown(c: str) -> str:
    if c in " " or (c.isprintable() and unicodedata.category(c) not in ("Cf", "Zs", "Co", "Cn")):
        return c
    code = ord(c)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: object, limit: int = 60) -> str:
    """The text with every invisible or control character written as a \\uXXXX escape, so a
    refusal shows what was really sent (`6100\\u200b0001…`); cut to `limit` characters."""
    shown = "".join(_shown(c) for c in ("" if text is None else str(text)))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class IdentifierField(forms.CharField):
    """A text field for an identifier: normalised by `clean_identifier` before validation."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_identifier(value) if value not in self.empty_values else value


class IdentifierEmailField(forms.EmailField):
    """An e-mail address normalised like an identifier, then validated."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_identifier(value) if value not in self.empty_values else value
