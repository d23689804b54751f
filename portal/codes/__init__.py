"""The catalogue of every error code the portal shows: the code, its stage, cause and fix.

The checks, the services and the help page all read this one table, so a code means the same
thing everywhere it appears.
"""

from __future__ import annotations

from portal.codes import batches, interfaces, links, people, requests
from portal.codes.base import STAGES, Code

# In the order the help page lists them within a stage.
_ENTRIES: list[Code] = [
    *requests.ENTRIES,
    *links.ENTRIES,
    *batches.ENTRIES,
    *people.ENTRIES,
    *interfaces.ENTRIES,
]

CODES: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}


def codes_by_stage() -> list[tuple[str, list[Code]]]:
    return [(stage, [c for c in _ENTRIES if c.stage == stage]) for stage in STAGES]
