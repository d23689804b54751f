"""The catalogs the item rules read: active services, a site's regions, the sensitive services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from accounts.models import Reseller
from linking.models import (
    Region,
    Service,
)

# Inside `remembered_catalog()`: the catalog facts read once for the block.
T = TypeVar("T")

_remembered: ContextVar[dict | None] = ContextVar("remembered_catalog", default=None)


@contextmanager
def remembered_catalog() -> Iterator[None]:
    """Within the block, the catalogs (active services, a site's active regions, the sensitive
    services) are read once: for a batch, opened afresh for every short chunk of rows, so that
    a catalog change made by staff applies from the next chunk. Everything else checks live."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def _remember(key: tuple, load: Callable[[], T]) -> T:
    remembered = _remembered.get()
    if remembered is None:
        return load()
    if key not in remembered:
        remembered[key] = load()
    return remembered[key]


def sensitive_services() -> frozenset[str]:
    """The codes of the services flagged sensitive."""
    return _remember(
        ("sensitive",),
        lambda: frozenset(Service.objects.filter(sensitive=True).values_list("code", flat=True)),
    )


@dataclass(frozen=True)
class Catalog:
    """The active services and the reseller site's active regions."""

    services: frozenset[str]
    regions: frozenset[str]

    @classmethod
    def load(cls, reseller: Reseller) -> Catalog:
        return _remember(("catalog", reseller.site), lambda: cls._read(reseller.site))

    @classmethod
    def _read(cls, site: str) -> Catalog:
        return cls(
            services=frozenset(
                Service.objects.filter(is_active=True).values_list("code", flat=True)
            ),
            regions=frozenset(
                Region.objects.filter(is_active=True, site=site).values_list("code", flat=True)
            ),
        )
