"""The settings as production computes them from an environment, for tests of their defaults."""

from __future__ import annotations

import importlib
import os
import sys
from unittest import mock

PACKAGE = "portal.settings"


def fresh_settings(**environ: str | None) -> dict:
    """The values of a fresh import of portal.settings with `environ` over the current
    environment (None removes a variable); the modules loaded before are put back afterwards."""
    loaded = {
        name: module
        for name, module in sys.modules.items()
        if name == PACKAGE or name.startswith(PACKAGE + ".")
    }
    changed = {name: value for name, value in environ.items() if value is not None}
    removed = [name for name, value in environ.items() if value is None]
    try:
        for name in loaded:
            del sys.modules[name]
        with mock.patch.dict(os.environ, changed):
            for name in removed:
                os.environ.pop(name, None)
            return dict(vars(importlib.import_module(PACKAGE)))
    finally:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        sys.modules.update(loaded)
