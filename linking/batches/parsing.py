"""Reading a batch file: its columns and template, and each row as the wizard would hold it
(link types, scope, consent deadline, ticket, note), a preset column filling in the rest. What
cannot be read becomes a coded reason; nothing is looked up but the reseller's presets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accounts.models import LinkType, Reseller
from linking.checks.reasons import ItemSpec, Reason, reason
from linking.models import BATCH_KEY_MAX, AccessLevel, Preset
from linking.services.presets import preset_item_values
from portal import tabular
from portal.identifiers import clean_identifier

# The columns of a batch file, in the order of the template. Each row is one request, as the
# wizard builds it: the link types, then the scope of each item (billing has none).
COLUMNS = [
    "key",
    "account_id",
    "account_name",
    "link_types",
    "provisioning_services",
    "provisioning_regions",
    "delegation_services",
    "delegation_regions",
    "delegation_access",
    "delegation_days",
    "consent_days",
    "ticket",
    "note",
    "preset",
]
# The customer is named by its account id or its account name (one of the two columns).
REQUIRED = ["key", "account_id|account_name", "link_types"]
COLUMN_HELP = [
    (
        "key",
        "required",
        "Your idempotency key for the row, unique per reseller (e.g. "
        "INC-1001-contoso-ops). A key already used never creates a second request.",
    ),
    (
        "account_id",
        "required, or account_name",
        "The customer's account id (domain id): 32 hexadecimal characters; case, dashes and "
        "spaces are ignored. In XLSX, keep it a text cell.",
    ),
    (
        "account_name",
        "",
        "The customer's account name (sign-in name), instead of the account id, or beside it "
        "as a cross-check: a row whose id and name belong to different accounts is refused.",
    ),
    ("link_types", "required", "billing, provisioning and/or delegation, separated by |."),
    ("provisioning_services", "", "Service codes for provisioning, separated by |, e.g. ECS|OBS."),
    ("provisioning_regions", "", "Region codes for provisioning, separated by |."),
    ("delegation_services", "", "Service codes for delegated administration, separated by |."),
    ("delegation_regions", "", "Region codes for delegated administration, separated by |."),
    ("delegation_access", "", "read_only (the default) or manage."),
    ("delegation_days", "", "How long the delegation lasts, 1 to 730 days (default 90)."),
    ("consent_days", "", "Days the customer has to decide, 1 to 30 (default: your program's)."),
    ("ticket", "", "Your ticket reference, at most 80 characters."),
    ("note", "", "Note to the customer shown on the consent page, at most 2000 characters."),
    (
        "preset",
        "",
        "Name of a saved preset of link types and scope; the row's own non-empty columns "
        "override what the preset gives.",
    ),
]
TEMPLATE_ROWS = [
    [
        "INC-1001-contoso-ops",
        "0c5a2b7e-9f1d-4c3a-b8e6-d0f2a4c6e8b1",
        "contoso-ops",
        "billing",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "INC-1001",
        "As agreed on the phone.",
        "",
    ],
    [
        "INC-1002-fabrikam-dev",
        "",
        "fabrikam-dev",
        "provisioning|delegation",
        "ECS|OBS",
        "ap-southeast-1",
        "ECS",
        "ap-southeast-1",
        "read_only",
        "90",
        "14",
        "INC-1002",
        "",
        "",
    ],
]
MULTI_SPLIT = re.compile(r"[|,;\s]+")
MAX_TICKET = 80
MAX_NOTE = 2000


class PresetBook:
    """The reseller's presets by name, read once per file: a `preset` column costs one query
    whatever the number of rows. Names match as `preset_resolve` matches them (case and
    repeated spaces ignored)."""

    def __init__(self, reseller: Reseller):
        self.reseller = reseller
        self._by_name: dict[str, dict] | None = None

    @staticmethod
    def _normal(name: str) -> str:
        return " ".join(name.split()).lower()

    def values(self, name: str) -> tuple[dict | None, list[Reason]]:
        """The preset `name` as row values (`preset_item_values`), or the reason it is refused."""
        if self._by_name is None:
            self._by_name = {
                self._normal(preset.name): preset_item_values(preset)
                for preset in Preset.objects.filter(reseller=self.reseller)
            }
        found = self._by_name.get(self._normal(name))
        if found is None:
            wanted = " ".join(name.split())[:80]
            return None, [reason("LNK-T001", reseller=self.reseller.name, name=wanted)]
        return found, []


def _split(value: str) -> list[str]:
    return [part for part in MULTI_SPLIT.split(value.strip()) if part]


def _access_level(value: str) -> str:
    text = re.sub(r"[\s\-]+", "_", value.strip().lower())
    if text in ("", "readonly"):
        return AccessLevel.READ_ONLY
    return text


def _whole_number(values: dict, column: str, default: int | None, reasons: list) -> int | None:
    raw = values.get(column, "")
    if raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        reasons.append(reason("LNK-B015", column=column, value=raw[:20]))
        return None
    return int(raw)


@dataclass
class ParsedRow:
    number: int
    key: str
    account_id: str
    account_name: str
    link_types: list[str]
    items: list[ItemSpec]
    consent_days: int | None
    ticket: str
    note: str
    reasons: list[Reason] = field(default_factory=list)

    def as_values(self) -> dict:
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "link_types": self.link_types,
            "items": [spec.__dict__ for spec in self.items],
            "consent_days": self.consent_days,
            "ticket": self.ticket,
            "note": self.note,
        }


def parse_row(
    reseller: Reseller, row: tabular.TableRow, presets: PresetBook | None = None
) -> ParsedRow:
    """One file row as the wizard would hold it; what cannot be read becomes a coded reason.

    A `preset` column starts the row from that saved preset: its link types, scope and consent
    deadline, each overridden by the row's own non-empty columns.
    """
    values = row.values
    reasons: list[Reason] = []
    key = clean_identifier(values.get("key", ""))
    if not key:
        reasons.append(reason("LNK-B010", max_length=BATCH_KEY_MAX))
    elif len(key) > BATCH_KEY_MAX:
        reasons.append(reason("LNK-B017", column="key", max_length=BATCH_KEY_MAX))
        key = ""
    preset: dict = {"link_types": [], "scopes": {}, "consent_days": None}
    if values.get("preset", ""):
        found, preset_reasons = (presets or PresetBook(reseller)).values(values["preset"])
        reasons += preset_reasons
        preset = found or preset
    link_types = []
    for token in _split(values.get("link_types", "").lower()):
        if token in LinkType.values:
            if token not in link_types:
                link_types.append(token)
        else:
            reasons.append(reason("LNK-B014", value=token[:40]))
    if not values.get("link_types", "").strip():
        link_types = list(preset["link_types"])
    items = []
    for link_type in LinkType.values:
        if link_type not in link_types:
            continue
        base = preset["scopes"].get(link_type)
        spec = ItemSpec(link_type=link_type)
        if link_type != LinkType.BILLING:
            spec.services = sorted(
                set(_split(values.get(f"{link_type}_services", "")))
                or set(base.services if base else [])
            )
            spec.regions = sorted(
                set(_split(values.get(f"{link_type}_regions", "")))
                or set(base.regions if base else [])
            )
        if link_type == LinkType.DELEGATION:
            access = values.get("delegation_access", "")
            spec.access_level = (
                _access_level(access)
                if access or not base
                else (base.access_level or AccessLevel.READ_ONLY)
            )
            default_days = (base.duration_days if base else None) or 90
            spec.duration_days = _whole_number(values, "delegation_days", default_days, reasons)
        items.append(spec)
    default_consent = preset["consent_days"] or reseller.consent_days
    consent_days = _whole_number(values, "consent_days", default_consent, reasons)
    ticket, note = clean_identifier(values.get("ticket", "")), values.get("note", "")
    if len(ticket) > MAX_TICKET:
        reasons.append(reason("LNK-B017", column="ticket", max_length=MAX_TICKET))
    if len(note) > MAX_NOTE:
        reasons.append(reason("LNK-B017", column="note", max_length=MAX_NOTE))
    return ParsedRow(
        number=row.number,
        key=key,
        account_id=clean_identifier(values.get("account_id", ""))[:80],
        account_name=clean_identifier(values.get("account_name", ""))[:80],
        link_types=link_types,
        items=items,
        consent_days=consent_days,
        ticket=ticket[:MAX_TICKET],
        note=note[:MAX_NOTE],
        reasons=reasons,
    )
