"""A reason (code, stage, message, hint) and the item it is about: what every rule returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import LinkType
from linking.models import (
    RequestItem,
)
from portal.codes import CODES
from portal.errors import PortalError

MIN_DELEGATION_DAYS = 1
MAX_DELEGATION_DAYS = 730


@dataclass(frozen=True)
class Reason:
    code: str
    stage: str
    message: str
    hint: str
    item: str = ""
    # The existing link a reason is about (LNK-V011): the page offers to change it instead.
    link_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "stage": self.stage,
            "message": self.message,
            "hint": self.hint,
            "item": self.item,
        }


def reason(code: str, item: str = "", link_id: int | None = None, **params: object) -> Reason:
    entry = CODES[code]
    message, hint = entry.render(**params)
    return Reason(
        code=code,
        stage=entry.stage,
        message=message,
        hint=hint,
        item=item,
        link_id=link_id,
    )


@dataclass
class ItemSpec:
    link_type: str
    services: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    access_level: str = ""
    duration_days: int | None = None

    def get_link_type_display(self) -> str:
        try:
            return str(LinkType(self.link_type).label)
        except ValueError:
            return self.link_type

    @classmethod
    def from_item(cls, item: RequestItem) -> ItemSpec:
        return cls(
            link_type=item.link_type,
            services=list(item.services or []),
            regions=list(item.regions or []),
            access_level=item.access_level,
            duration_days=item.duration_days,
        )


def type_label(link_type: str) -> str:
    try:
        return LinkType(link_type).label.lower()
    except ValueError:
        return link_type


class ChecksFailed(PortalError):
    """A dry run found blocking reasons; all of them travel with the error."""

    def __init__(self, reasons: list[Reason]):
        first = reasons[0]
        super().__init__(first.code, first.message, first.hint)
        self.reasons = reasons
