"""The one domain error of the portal: every refusal carries a stable code from the catalogue."""

from __future__ import annotations


class PortalError(Exception):
    """A refusal with a stable code, a message a person understands and what to do next."""

    def __init__(self, code: str, message: str | None = None, hint: str | None = None, **params):
        from portal.codes import CODES

        entry = CODES.get(code)
        if entry is None:
            # A code outside the catalogue would reach a person with no message, no fix and no
            # entry on the help page: a programming error, refused where it is made.
            raise ValueError(f"{code!r} is not in the catalogue of error codes (portal.codes).")
        self.code = code
        self.params = params
        self.stage = entry.stage
        self.title = entry.title
        if message is None or hint is None:
            text, advice = entry.render(**params)
        else:
            text, advice = message, hint
        self.message = message or text
        self.hint = hint or advice
        super().__init__(f"{code}: {self.message}")

    def as_text(self) -> str:
        return f"{self.message} {self.hint} ({self.code})".strip()
