"""The only way a view reaches tenant data: membership scoping plus the role's permissions.

A person's role in a reseller is their membership row, nothing else: `ROLE_PERMISSIONS[role]`
says what it may do. Guardian is not asked here (its rows on customer accounts are what live
links grant; see linking.permissions). Another reseller's object is a 404 (it does not exist
for you); a missing role is a 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from accounts.current import get_membership
from accounts.models import ROLE_PERMISSIONS, Membership, Reseller, User


class ResellerRequest(HttpRequest):
    """The request a `reseller_required` view receives: a signed-in user, the reseller of the
    session and what the user's role there may do. A type for views to declare; the decorator
    sets the attributes on the request Django made."""

    user: User
    reseller: Reseller
    reseller_perms: set[str]
    # Set by django-htmx's middleware on every request.
    htmx: HtmxDetails


def has_reseller_perm(*, user: User | None, reseller: Reseller, perm: str) -> bool:
    """True when the user's membership of the reseller has a role that grants `perm` (a
    codename of `ROLE_PERMISSIONS`). Services and batches ask here; pages read the request's
    membership (`reseller_required`)."""
    return perm in reseller_perms(user=user, reseller=reseller)


# Inside `remembered_perms()`: (user pk, reseller pk) -> the codenames looked up first.
_remembered: ContextVar[dict[tuple[int, int], frozenset[str]] | None] = ContextVar(
    "remembered_reseller_perms", default=None
)


@contextmanager
def remembered_perms() -> Iterator[None]:
    """Within the block, each user's role in each reseller is looked up once and then answered
    from memory. For a long run of one actor (a batch), opened afresh for every short chunk of
    work so that a role taken away in the middle stops the run at the next chunk; pages and
    single requests never use it and check every time."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def reseller_perms(*, user: User | None, reseller: Reseller) -> set[str]:
    """Every permission codename the user's role holds on the reseller."""
    remembered = _remembered.get()
    if remembered is None or user is None or user.pk is None:
        return _lookup_perms(user=user, reseller=reseller)
    key = (user.pk, reseller.pk)
    if key not in remembered:
        remembered[key] = frozenset(_lookup_perms(user=user, reseller=reseller))
    return set(remembered[key])


def _lookup_perms(*, user: User | None, reseller: Reseller) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    # Superusers too: in a reseller, platform staff act only through a membership.
    roles = Membership.objects.filter(user=user, reseller=reseller).values_list("role", flat=True)
    role = next(iter(roles.order_by()[:1]), None)
    return set(ROLE_PERMISSIONS[role]) if role else set()


def membership_perms(*, user: User | None, membership: Membership | None) -> set[str]:
    """What `membership`'s role lets `user` do in its reseller, read from the row alone (no
    query): `ROLE_PERMISSIONS[role]` of the user's own membership while the user is active."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if membership is None or membership.user_id != user.pk:
        return set()
    return set(ROLE_PERMISSIONS[membership.role])


def reseller_required(perm: str = "view_reseller"):
    """View decorator: sets request.reseller and request.reseller_perms, or refuses.

    No membership at all renders a page that says so (403); a role without `perm` is a 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = get_membership(request)
            if membership is None:
                return render(request, "accounts/no_reseller.html", status=403)
            perms = membership_perms(user=request.user, membership=membership)
            request.reseller = membership.reseller
            request.reseller_perms = perms
            if perm not in perms:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def access_membership(*, reseller: Reseller, pk: int) -> Membership:
    """The membership `pk` of the current reseller with its user; another reseller's is a 404."""
    membership = (
        Membership.objects.select_related("user", "reseller")
        .filter(reseller=reseller, pk=pk)
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership
