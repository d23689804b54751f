"""The Simplified Chinese catalogue is complete, in step with the code, and compiled.

Fails when a message is untranslated or fuzzy, when makemessages would add (or drop) a msgid the
catalogue lacks (a string wrapped in the code but not extracted), and when the committed .mo is
not compiled from the committed .po. docs/i18n.md says how to fix each.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MESSAGES = Path("portal/locale/zh_Hans/LC_MESSAGES")
PO = ROOT / MESSAGES / "django.po"
MO = ROOT / MESSAGES / "django.mo"
# Not sources of messages, or not this checkout's (the virtualenv may be a link elsewhere).
NOT_SOURCES = shutil.ignore_patterns(
    ".venv", ".git", "var", "node_modules", "__pycache__", ".*_cache", ".hypothesis", "*.mo"
)


def _entries(po: Path) -> list[dict]:
    """The active entries of a PO file: msgid, msgid_plural, msgstr(s), flags; the header and
    obsolete (#~) entries left out."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                current = None
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
            elif " " in line:
                key, _, value = line.partition(" ")
                current = key
                fields[key] = _unquote(value)
        if fields.get("msgid"):
            entries.append({"fields": fields, "flags": flags})
    return entries


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m[1], m[1]), text.strip()[1:-1])


def _msgids(po: Path) -> set[tuple[str, str]]:
    return {
        (e["fields"].get("msgctxt", "") + e["fields"]["msgid"], e["fields"].get("msgid_plural", ""))
        for e in _entries(po)
    }


def test_every_message_is_translated_and_none_is_fuzzy():
    problems = []
    for entry in _entries(PO):
        fields = entry["fields"]
        strings = [v for k, v in fields.items() if k.startswith("msgstr")]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {fields['msgid']!r}")
        elif not strings or not all(strings):
            problems.append(f"untranslated: {fields['msgid']!r}")
    assert not problems, "\n".join(problems)


def test_msgfmt_accepts_the_catalogue():
    # Placeholders (%(name)s, {name}) and plural forms of each translation match the msgid.
    result = subprocess.run(  # noqa: S603 (a fixed binary found on PATH)
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(PO)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_catalogue_is_in_step_with_the_code(tmp_path):
    """makemessages run over a copy of the sources finds exactly the catalogue's msgids."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCES)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1"}
    env.pop("PYTHONPATH", None)
    makemessages = ["makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore=.venv"]
    result = subprocess.run(  # noqa: S603 (our own venv's python, fixed arguments)
        [sys.executable, "manage.py", *makemessages, "--ignore=node_modules"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = _msgids(copy / MESSAGES / "django.po")
    committed = _msgids(PO)
    missing = sorted(m for m, _ in fresh - committed)
    stale = sorted(m for m, _ in committed - fresh)
    assert not missing, "strings in the code missing from django.po (run makemessages):\n" + (
        "\n".join(missing)
    )
    assert not stale, "strings in django.po no longer in the code (run makemessages):\n" + (
        "\n".join(stale)
    )


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)  # noqa: S603, S607
    with fresh.open("rb") as expected, MO.open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == (  # type: ignore[attr-defined]
            gettext.GNUTranslations(expected)._catalog  # type: ignore[attr-defined]
        ), "django.mo is older than django.po: run compilemessages (docs/i18n.md)"


@pytest.mark.parametrize("name", ["msgfmt", "xgettext", "msgmerge"])
def test_the_gettext_tools_are_installed(name):
    assert shutil.which(name), f"{name} is missing: install gettext (apt-get install gettext)"
