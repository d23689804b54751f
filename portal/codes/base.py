"""The catalogue's building blocks: an entry, its stages, counts written with their unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy, ngettext


def _(text: str) -> str:
    # Translated when shown, in the language of the page, API answer or e-mail that shows it;
    # typed as a str because a lazy string is used as one (format, join, templates).
    return gettext_lazy(text)  # type: ignore[return-value]


# A count in a message is written with its unit as `{minutes:minute}`: "1 minute", "5 minutes".
UNITS = {
    "minute": lambda n: ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n},
    "day": lambda n: ngettext("%(n)d day", "%(n)d days", n) % {"n": n},
    "time": lambda n: ngettext("once", "%(n)d times", n) % {"n": n},
    "failed attempt": lambda n: (
        ngettext("%(n)d failed attempt", "%(n)d failed attempts", n) % {"n": n}
    ),
    "wrong attempt": lambda n: (
        ngettext("%(n)d wrong attempt", "%(n)d wrong attempts", n) % {"n": n}
    ),
}
_UNIT_FIELD = re.compile(r"\{(\w+):(" + "|".join(map(re.escape, UNITS)) + r")\}")


class Count(int):
    """A number that a message writes with its unit in the right number (`{n:day}`)."""

    def __format__(self, spec: str) -> str:
        if spec in UNITS:
            return UNITS[spec](int(self))
        return format(int(self), spec)


def _counted(params: dict) -> dict:
    return {
        k: Count(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in params.items()
    }


def _as_template(text: str) -> str:
    # The help page shows the words in braces: "{minutes} minutes", not "{minutes:minute}",
    # with the unit in the page's language (the plural of a sample count, its digit replaced).
    return _UNIT_FIELD.sub(
        lambda m: UNITS[m.group(2)](5).replace("5", "{" + m.group(1) + "}"), str(text)
    )


VALIDATION = "validation"
APPROVAL = "approval"
CONSENT = "consent"
ACTIVATION = "activation"
VERIFICATION = "verification"
# The reseller's own connection to the cloud: endpoints, partner access key, partner permissions.
CONNECTION = "connection"
# What the customer did in the cloud (association, agency, roles) and the portal cannot see yet.
PROPAGATION = "propagation"
# The reseller's webhook endpoints: the addresses events are sent to, and their deliveries.
WEBHOOK = "webhook"
# What any page can answer, whatever it does: a bad request, a refused role, a missing page.
PAGE = "page"

STAGES = [
    CONNECTION,
    VALIDATION,
    APPROVAL,
    CONSENT,
    PROPAGATION,
    ACTIVATION,
    VERIFICATION,
    WEBHOOK,
    PAGE,
]


@dataclass(frozen=True)
class Code:
    code: str
    stage: str
    title: str
    message: str
    hint: str

    def render(self, **params) -> tuple[str, str]:
        """The message and the hint with `params` filled in, counts with their unit."""
        counted = _counted(params)
        return self.message.format(**counted), self.hint.format(**counted)

    @property
    def message_template(self) -> str:
        return _as_template(self.message)

    @property
    def hint_template(self) -> str:
        return _as_template(self.hint)
