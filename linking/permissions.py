"""The only way a view reaches a request, link or customer: scoped to the current reseller.

Another reseller's object is a 404; the role's permission was checked by `reseller_required`.

Also the object permissions on customer accounts: guardian holds the grants of live links (on
the reseller's role groups), but a grant row may outlive its link until the next sweep. Every
check asks `customer_has_perm` (the authentication backend below does too), which answers yes
only while a link that grants the permission is live (`live_link_q`), whatever the sweeps have
done.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import OuterRef, Q
from django.http import Http404
from django.utils import timezone
from guardian.backends import ObjectPermissionBackend
from guardian.core import ObjectPermissionChecker

from accounts.models import Membership, Reseller, ResellerRoleGroup, Team, User
from linking.batches.selectors import batch_get_for_reseller
from linking.models import CustomerAccount, Link, LinkRequest, Preset
from linking.selectors.customers import customer_get_linked
from linking.selectors.links import link_get_for_reseller
from linking.selectors.presets import preset_get_for_reseller
from linking.selectors.requests import link_request_get_for_reseller
from linking.selectors.teams import link_visible_q

# What links grant on a customer account (linking.services.links.link_grants, and view for
# every role); any other permission on an account is guardian's answer alone.
LINK_GRANTED_CODENAMES = frozenset(
    {
        "view_customeraccount",
        "bill_customeraccount",
        "provision_customeraccount",
        "delegate_read_customeraccount",
        "delegate_manage_customeraccount",
    }
)


def live_link_q(now=None, prefix: str = "") -> Q:
    """Links whose grants hold at `now` (`Link.is_granting` in a query): active or revoking to
    its month end, and not past its end (a time-bound link is over at its end date, before the
    expiry sweep marks it)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status__in": Link.GRANTING_STATUSES}) & (
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now})
    )


def link_is_live(link: Link) -> bool:
    """`live_link_q` for one link in memory."""
    return link.is_granting


def _holder_groups(holder: User | Group, customer: CustomerAccount) -> dict[int, set[int]]:
    """{reseller id: group ids} through which `holder` may hold grants on the customer: a
    role or team group's own, or an active user's role group (from the membership) and team
    groups in each reseller with a live link on it that the user is still a member of."""
    if isinstance(holder, Group):
        rows = list(
            ResellerRoleGroup.objects.filter(group=holder).values_list("reseller_id", "group_id")
        ) + list(Team.objects.filter(group=holder).values_list("reseller_id", "group_id"))
        return {reseller_id: {group_id} for reseller_id, group_id in rows}
    if not holder.is_active:
        return {}
    live = Link.objects.filter(live_link_q(), customer=customer).values("reseller_id")
    groups: dict[int, set[int]] = {}
    memberships = Membership.objects.filter(user=holder, reseller_id__in=live).order_by()
    for reseller_id, group_id in ResellerRoleGroup.objects.filter(
        reseller_id__in=memberships.values("reseller_id"),
        role__in=memberships.filter(reseller_id=OuterRef("reseller_id")).values("role"),
    ).values_list("reseller_id", "group_id"):
        groups.setdefault(reseller_id, set()).add(group_id)
    for reseller_id, group_id in Team.objects.filter(
        members__user=holder, reseller_id__in=memberships.values("reseller_id")
    ).values_list("reseller_id", "group_id"):
        groups.setdefault(reseller_id, set()).add(group_id)
    return groups


def customer_live_perms(holder: User | Group, customer: CustomerAccount) -> set[str]:
    """The codenames that live links grant `holder` on the customer, through its role and
    team groups."""
    from linking.services.links import _desired_grants

    perms: set[str] = set()
    for reseller_id, group_ids in _holder_groups(holder, customer).items():
        desired = _desired_grants(reseller_id, customer.pk)
        for group_id in group_ids:
            perms |= desired.get(group_id, set())
    return perms


def customer_has_perm(holder: User | Group, perm: str, customer: CustomerAccount) -> bool:
    """Whether `holder` (a user or a role group) holds `perm` on the customer account: what
    guardian's rows say, and for a permission that links grant, only while such a link is
    live. A fresh read every call (guardian's checker caches per instance)."""
    codename = perm.split(".", 1)[-1]
    if not ObjectPermissionChecker(holder).has_perm(codename, customer):
        return False
    if codename not in LINK_GRANTED_CODENAMES:
        return True
    return codename in customer_live_perms(holder, customer)


def customer_perms_held(holder: User | Group, customer: CustomerAccount) -> set[str]:
    """Every codename `holder` holds on the customer account, by `customer_has_perm`'s rule,
    read at once: a page that asks about several permissions costs the same queries as one."""
    held = set(ObjectPermissionChecker(holder).get_perms(customer))
    live = customer_live_perms(holder, customer)
    return {c for c in held if c not in LINK_GRANTED_CODENAMES or c in live}


class LiveLinkObjectPermissionBackend(ObjectPermissionBackend):
    """guardian's object permission backend, answering through `customer_has_perm` for
    customer accounts: `user.has_perm(perm, account)` never says yes for a lapsed link."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if isinstance(obj, CustomerAccount) and user_obj.is_authenticated:
            return customer_has_perm(user_obj, perm, obj)
        return super().has_perm(user_obj, perm, obj)

    def get_group_permissions(self, user_obj, obj=None):
        return self._live(user_obj, obj, super().get_group_permissions(user_obj, obj))

    def get_all_permissions(self, user_obj, obj=None):
        return self._live(user_obj, obj, super().get_all_permissions(user_obj, obj))

    def _live(self, user_obj, obj, perms) -> set[str]:
        perms = set(perms)
        if not isinstance(obj, CustomerAccount) or not perms & LINK_GRANTED_CODENAMES:
            return perms
        live = customer_live_perms(user_obj, obj)
        return {p for p in perms if p not in LINK_GRANTED_CODENAMES or p in live}


def seen_by(request) -> dict:
    """The reader of a page or API call, as `access_link`/`access_customer` and the list
    selectors take it: the user and what their role (or key) may do."""
    return {"user": request.user, "perms": getattr(request, "reseller_perms", set())}


def visible_to(request) -> Q:
    """`link_visible_q` for the reader of `request`."""
    return link_visible_q(**seen_by(request))


def access_link_request(*, reseller: Reseller, pk: int) -> LinkRequest:
    req = link_request_get_for_reseller(reseller=reseller, pk=pk)
    if req is None:
        raise Http404("No such request.")
    return req


def access_link(
    *, reseller: Reseller, pk: int, user: User | None = None, perms: set[str] | None = None
) -> Link:
    """The reseller's link `pk`; with `user`, only one whose teams let the user see it (a
    member outside a team-scoped link's teams meets a 404, as for another reseller's)."""
    link = link_get_for_reseller(
        reseller=reseller, pk=pk, visible=link_visible_q(user=user, perms=perms)
    )
    if link is None:
        raise Http404("No such link.")
    return link


def access_customer(
    *, reseller: Reseller, pk: int, user: User | None = None, perms: set[str] | None = None
) -> CustomerAccount:
    """A customer the reseller holds a link on; with `user`, a link the user may see."""
    customer = customer_get_linked(
        reseller=reseller, pk=pk, visible=link_visible_q(user=user, perms=perms)
    )
    if customer is None:
        raise Http404("No such customer.")
    return customer


def access_batch(*, reseller: Reseller, pk: int):
    batch = batch_get_for_reseller(reseller=reseller, pk=pk)
    if batch is None:
        raise Http404("No such batch.")
    return batch


def access_preset(*, reseller: Reseller, pk: int) -> Preset:
    preset = preset_get_for_reseller(reseller=reseller, pk=pk)
    if preset is None:
        raise Http404("No such preset.")
    return preset
