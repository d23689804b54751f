"""How a customer account is identified: the one place for its rules.

The portal identifies a customer account as Huawei Cloud does:

- the **account id** (the cloud's domain id): 32 lowercase hexadecimal characters, e.g.
  `0c5a2b7e9f1d4c3ab8e6d0f2a4c6e8b1`. People paste it upper case, grouped with spaces or
  dashes, or as a UUID; all of these are the same id once normalised.
- the **account name** (the name the customer signs in with, e.g. `contoso-ops`). Huawei Cloud
  gives new accounts 6 to 32 letters, digits, `-` and `_`, starting with a letter; the portal
  accepts what the cloud may report (the sandbox cloud allows 1 to 64 letters, digits, `_`,
  `.` and `-`), so a sync never refuses an account the provider already holds. Names are
  kept as the cloud spells them; a blank name means "not known yet" (rows imported by staff).

Display, decided once: an id is shown in full and as stored (people copy it into the cloud's
console, which shows it the same way), next to the account name when there is one. Dense
tables may show `short_account_id` with the full id in a tooltip.

Forms, imports, checks, commands and the model's constraints all read these functions and
patterns; nothing else decides what an account id or name is.
"""

from __future__ import annotations

import re

from portal.identifiers import clean_identifier

ACCOUNT_ID_LENGTH = 32
ACCOUNT_ID_HELP = "The cloud's domain id: 32 lowercase hexadecimal characters."
ACCOUNT_NAME_MAX_LENGTH = 64
# The same patterns back the database's check constraints (see CustomerAccount.Meta).
ACCOUNT_ID_PATTERN = r"^[0-9a-f]{32}$"
ACCOUNT_NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
ACCOUNT_ID_RE = re.compile(ACCOUNT_ID_PATTERN)
ACCOUNT_NAME_RE = re.compile(ACCOUNT_NAME_PATTERN)

# Error codes (portal/codes/) of the refusals below.
NO_ACCOUNT_ID = "LNK-V021"
BAD_ACCOUNT_ID = "LNK-V001"
BAD_ACCOUNT_NAME = "LNK-V023"

_SEPARATORS = re.compile(r"[\s\-]")


def normalise_account_id(raw: object) -> str:
    """The id's normal form: `clean_identifier`, without the spaces and dashes people paste
    with it, in lower case. Not validated: see `parse_account_id`."""
    return _SEPARATORS.sub("", clean_identifier(raw)).lower()


def normalise_account_name(raw: object) -> str:
    """The name's normal form: `clean_identifier` (case kept, as the cloud spells it)."""
    return clean_identifier(raw)


def is_account_id(value: str) -> bool:
    """True when `value` is an account id in its normal form."""
    return bool(ACCOUNT_ID_RE.match(value or ""))


def is_account_name(value: str) -> bool:
    """True when `value` is an account name in its normal form."""
    return bool(ACCOUNT_NAME_RE.match(value or ""))


def parse_account_id(raw: object) -> tuple[str, str | None]:
    """The normalised id and None, or "" and the code of the refusal: `NO_ACCOUNT_ID` for an
    empty value, `BAD_ACCOUNT_ID` for anything that is not 32 hexadecimal characters."""
    account_id = normalise_account_id(raw)
    if not account_id:
        return "", NO_ACCOUNT_ID
    if not is_account_id(account_id):
        return "", BAD_ACCOUNT_ID
    return account_id, None


def parse_account_name(raw: object) -> tuple[str, str | None]:
    """The normalised name and None ("" and None when blank: a name is optional), or "" and
    `BAD_ACCOUNT_NAME`."""
    name = normalise_account_name(raw)
    if name and not is_account_name(name):
        return "", BAD_ACCOUNT_NAME
    return name, None


def account_id_prefix(text: object) -> str:
    """The start of an account id that a search `text` may be (at least 4 hexadecimal
    characters once normalised), or "" when it cannot be one."""
    prefix = normalise_account_id(text)
    if 4 <= len(prefix) <= ACCOUNT_ID_LENGTH and all(c in "0123456789abcdef" for c in prefix):
        return prefix
    return ""


def format_account_id(account_id: str) -> str:
    """How an account id is shown to people: in full, as stored."""
    return account_id or ""


def short_account_id(account_id: str) -> str:
    """The id's first eight characters, for dense tables that give the full id elsewhere."""
    if is_account_id(account_id):
        return f"{account_id[:8]}…"
    return account_id or ""


def short_account_label(account_name: str, account_id: str) -> str:
    """The account in a dense table: its name, or the short id when the name is not known."""
    return account_name or short_account_id(account_id)


def account_label(account_name: str, account_id: str) -> str:
    """The account as people read it: `contoso-ops (0c5a…e8b1 in full)`, or the id alone."""
    shown = format_account_id(account_id)
    return f"{account_name} ({shown})" if account_name else shown
