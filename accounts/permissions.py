"""The only way a view reaches tenant data: membership scoping plus the role's object permission.

Another reseller's object is a 404 (it does not exist for you); a missing role is a 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Aggregate, CharField, F, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import render

from accounts.middleware import get_membership
from accounts.models import (
    ROLE_PERMISSIONS,
    Membership,
    Reseller,
    ResellerGroupObjectPermission,
    ResellerUserObjectPermission,
    User,
)
from portal.prepared import PreparedQuery


def has_reseller_perm(*, user: User, reseller: Reseller, perm: str) -> bool:
    """True when the user's role in the reseller grants `perm` (a codename on Reseller)."""
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


def reseller_perms(*, user: User, reseller: Reseller) -> set[str]:
    """Every permission codename the user's role holds on the reseller."""
    remembered = _remembered.get()
    if remembered is None or user is None or user.pk is None:
        return _lookup_perms(user=user, reseller=reseller)
    key = (user.pk, reseller.pk)
    if key not in remembered:
        remembered[key] = frozenset(_lookup_perms(user=user, reseller=reseller))
    return set(remembered[key])


def _lookup_perms(*, user: User, reseller: Reseller) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        # Guardian grants a superuser everything; in a reseller, platform staff act only
        # through a membership like anyone else.
        membership = Membership.objects.filter(user=user, reseller=reseller).first()
        return set(ROLE_PERMISSIONS[membership.role]) if membership else set()
    # What guardian's checker answers (the user's own grants and their groups'), read straight
    # from the reseller's permission tables in one query (a UNION). Pages read them with the
    # membership instead (`with_role_perms`); services and batches come here.
    return {row[0] for row in _PERMS.rows(user_id=user.pk, reseller_id=reseller.pk)}


def _perms_query(*, user_id: int, reseller_id: int):
    own = ResellerUserObjectPermission.objects.filter(
        user_id=user_id, content_object_id=reseller_id
    ).values_list("permission__codename")
    groups = ResellerGroupObjectPermission.objects.filter(
        group__user=user_id, content_object_id=reseller_id
    ).values_list("permission__codename")
    return own.union(groups)


# Compiled once per process: building the UNION cost more than running it.
_PERMS = PreparedQuery(_perms_query, "user_id", "reseller_id")


class _JoinedCodenames(Aggregate):
    """The codenames of a group of grants, comma-joined (codenames hold no comma)."""

    output_field = CharField()

    def __init__(self):
        super().__init__(F("permission__codename"))

    def as_sql(self, compiler, connection, **extra_context):
        codename, params = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "postgresql":
            return f"STRING_AGG({codename}, ',')", list(params)
        return f"GROUP_CONCAT({codename}, ',')", list(params)


def _joined(grants) -> Subquery:
    return Subquery(
        grants.order_by()
        .values("content_object")
        .annotate(codes=_JoinedCodenames())
        .values("codes"),
        output_field=CharField(),
    )


def with_role_perms(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Memberships that carry their user's permissions on their reseller (`membership_perms`),
    read in the same query: the user's own grants and their groups', as `reseller_perms`
    reads them. Every page reads the current membership; it brings the role along."""
    return memberships.annotate(
        own_perm_codes=_joined(
            ResellerUserObjectPermission.objects.filter(
                user=OuterRef("user_id"), content_object=OuterRef("reseller_id")
            )
        ),
        group_perm_codes=_joined(
            ResellerGroupObjectPermission.objects.filter(
                group__user=OuterRef("user_id"), content_object=OuterRef("reseller_id")
            )
        ),
    )


def membership_perms(*, user: User, membership: Membership) -> set[str]:
    """`reseller_perms(user=user, reseller=membership.reseller)` for the user's own membership,
    without a query when it was read `with_role_perms`."""
    if not hasattr(membership, "own_perm_codes"):
        return reseller_perms(user=user, reseller=membership.reseller)
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(ROLE_PERMISSIONS[membership.role])
    codes = f"{membership.own_perm_codes or ''},{membership.group_perm_codes or ''}"
    return {code for code in codes.split(",") if code}


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
