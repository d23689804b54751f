"""The one domain error of the portal: every refusal carries a stable code from the catalogue."""

from __future__ import annotations


class PortalError(Exception):
    """A refusal with a stable code, a message a person understands and what to do next."""

    def __init__(self, code: str, message: str | None = None, hint: str | None = None, **params):
        from portal.codes import CODES

        entry = CODES.get(code)
        self.code = code
        self.stage = entry.stage if entry else ""
        self.title = entry.title if entry else code
        if entry is None:
            text, advice = code, ""
        elif message is None or hint is None:
            text, advice = entry.render(**params)
        else:
            text, advice = message, hint
        self.message = message or text
        self.hint = hint or advice
        super().__init__(f"{code}: {self.message}")

    def as_text(self) -> str:
        return f"{self.message} {self.hint} ({self.code})".strip()
