"""What the customer must do in the cloud for one accepted item: derived here, and only here.

From the consented scope and the reseller's cloud connection this module derives, without any
I/O, the cloud-side setup of an accepted consent item:

- billing: accept the partner's association invitation (the link of the reseller's
  connection), as a resale association;
- delegation and provisioning: an IAM agency of the customer's account with a deterministic
  name, trusting the partner's account, holding the system permission of each consented service
  at the consented level (`linking.cloud.policies`) in the project of each consented region (or
  in the global project, for global services), valid no longer than the link.

The receipt page, the receipt e-mail, the Terraform file and the CLI commands
(`linking.cloud.setup_formats`) are all rendered from the `ItemSetup` made here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from linking.cloud.policies import MANAGE, READ_ONLY, Scope, permission_for

BILLING, PROVISIONING, DELEGATION = "billing", "provisioning", "delegation"

# Huawei Cloud's agency names: at most 64 characters; letters, digits, "-", "_" and ".".
AGENCY_NAME_MAX = 64
AGENCY_DESCRIPTION_MAX = 255
_AGENCY_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PARTNER_PART_MAX = 20

FOREVER, ONEDAY = "FOREVER", "ONEDAY"
# The association a billing link expects: the partner resells, pays the cloud and bills the
# customer. ListSubCustomers reports it as a code the portal stores as it comes (see
# docs/cloud.md); this is the word shown to the customer.
RESALE_ASSOCIATION = "resale"

# Why the setup of an item cannot be given (yet): said on the page instead of a wrong value.
NO_CONNECTION = "no_connection"
NO_INVITATION = "no_invitation"
NO_LINK = "no_link"
LINK_ENDED = "link_ended"
SUPERSEDED = "superseded"
NOTHING_GRANTABLE = "nothing_grantable"


@dataclass(frozen=True)
class PartnerAccount:
    """The partner side of the setup, from the reseller's cloud connection."""

    partner_id: str  # the platform's partner id, e.g. P-100234
    partner_name: str  # the reseller's name, as the customer knows it
    domain_name: str  # the partner's Huawei Cloud account name (what an agency trusts)
    domain_id: str  # the partner's Huawei Cloud account id
    invitation_url: str  # the customer-association invitation link
    # The console of the project's sandbox cloud, when the connection's endpoint is that
    # sandbox (a local run): the customer does the steps there. "" for Huawei Cloud.
    sandbox_console_url: str = ""


@dataclass(frozen=True)
class ConsentedItem:
    """An accepted item as the setup needs it."""

    link_type: str
    link_reference: str  # "LK-000042"; "" when the item made no link
    services: tuple[str, ...]
    regions: tuple[str, ...]
    access_level: str
    ends_at: datetime | None
    # A later decision changed the link: its setup is that decision's, not this one's.
    superseded: bool = False


@dataclass(frozen=True)
class AgencyDuration:
    value: str  # what the agency's validity field takes: FOREVER, ONEDAY or a number of days
    days: int | None  # None for FOREVER
    link_ends_at: datetime | None
    # Less than a day of the link is left: ONEDAY, the shortest validity, outlasts it.
    outlasts_link: bool = False


@dataclass(frozen=True)
class ProjectRoles:
    project: str  # the region id, which is also its project's name
    roles: tuple[str, ...]


@dataclass(frozen=True)
class AgencySetup:
    name: str
    trusted_domain_name: str
    trusted_domain_id: str
    description: str
    duration: AgencyDuration
    regions: tuple[str, ...]  # the consented regions (IAM itself is global)
    project_roles: tuple[ProjectRoles, ...]
    domain_roles: tuple[str, ...]
    # Consented services no system permission grants at the consented level: nothing is
    # granted for them rather than something broader.
    not_grantable: tuple[str, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        """Every permission name the agency holds, once each."""
        names = list(self.domain_roles)
        for project in self.project_roles:
            names += [r for r in project.roles if r not in names]
        return tuple(names)


@dataclass(frozen=True)
class BillingSetup:
    invitation_url: str
    partner_domain_name: str
    association_type: str = RESALE_ASSOCIATION


@dataclass(frozen=True)
class ItemSetup:
    link_type: str
    link_reference: str
    partner: PartnerAccount | None
    billing: BillingSetup | None = None
    agency: AgencySetup | None = None
    missing: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.missing


def agency_name(partner_id: str, link_reference: str) -> str:
    """The agency's name: stable for the link (amendments change its roles, not its name),
    distinct per partner and link, and valid for Huawei Cloud whatever the partner id holds."""
    partner = _AGENCY_NAME_UNSAFE.sub("-", partner_id).strip("-._")[:_PARTNER_PART_MAX]
    link = _AGENCY_NAME_UNSAFE.sub("-", link_reference).strip("-._")
    name = "-".join(part for part in ("partner", partner, link) if part)
    return name[:AGENCY_NAME_MAX]


def agency_duration(ends_at: datetime | None, now: datetime) -> AgencyDuration:
    """The longest validity that does not outlast the link, for an agency created at `now`.

    An agency's validity counts from its creation in whole days (or FOREVER). A link without an
    end date gets FOREVER; otherwise the whole days left until the link's end, so an agency
    created later gets a smaller number. With less than a day left, ONEDAY is the shortest
    Huawei Cloud offers: it outlasts the link by hours, and the page says so.
    """
    if ends_at is None:
        return AgencyDuration(FOREVER, None, None)
    days = max((ends_at - now) // timedelta(days=1), 0)
    if days <= 1:
        return AgencyDuration(ONEDAY, 1, ends_at, outlasts_link=days < 1)
    return AgencyDuration(str(days), days, ends_at)


def _level(item: ConsentedItem) -> str:
    # Provisioning lets the partner create resources: it needs the write permissions.
    if item.link_type == PROVISIONING:
        return MANAGE
    return MANAGE if item.access_level == MANAGE else READ_ONLY


def _description(partner: PartnerAccount, item: ConsentedItem) -> str:
    text = (
        f"{item.link_type.capitalize()} by {partner.partner_name} ({partner.partner_id}), "
        f"link {item.link_reference}, consented in the partner portal"
    )
    # One line: a newline in a reseller's name must not reach a form field or a file.
    return " ".join(text.split())[:AGENCY_DESCRIPTION_MAX]


def _agency(item: ConsentedItem, partner: PartnerAccount, now: datetime) -> AgencySetup:
    level = _level(item)
    project_level: list[str] = []
    global_level: list[str] = []
    not_grantable: list[str] = []
    for service in item.services:
        found = permission_for(service, level)
        if found is None:
            not_grantable.append(service)
            continue
        name, scope = found
        target = global_level if scope == Scope.GLOBAL else project_level
        if name not in target:
            target.append(name)
    projects = tuple(
        ProjectRoles(project=region, roles=tuple(project_level))
        for region in item.regions
        if project_level
    )
    return AgencySetup(
        name=agency_name(partner.partner_id, item.link_reference),
        trusted_domain_name=partner.domain_name,
        trusted_domain_id=partner.domain_id,
        description=_description(partner, item),
        duration=agency_duration(item.ends_at, now),
        regions=item.regions,
        project_roles=projects,
        domain_roles=tuple(global_level),
        not_grantable=tuple(not_grantable),
    )


def derive_setup(
    item: ConsentedItem, *, partner: PartnerAccount | None, now: datetime
) -> ItemSetup:
    """The cloud-side setup of one accepted item, or what keeps it from being given."""
    if partner is None:
        return ItemSetup(item.link_type, item.link_reference, None, missing=(NO_CONNECTION,))
    if not item.link_reference:
        return ItemSetup(item.link_type, "", partner, missing=(NO_LINK,))
    if item.superseded:
        return ItemSetup(item.link_type, item.link_reference, partner, missing=(SUPERSEDED,))
    if item.link_type == BILLING:
        if not partner.invitation_url:
            return ItemSetup(item.link_type, item.link_reference, partner, missing=(NO_INVITATION,))
        billing = BillingSetup(
            invitation_url=partner.invitation_url, partner_domain_name=partner.domain_name
        )
        return ItemSetup(item.link_type, item.link_reference, partner, billing=billing)
    if item.ends_at is not None and item.ends_at <= now:
        return ItemSetup(item.link_type, item.link_reference, partner, missing=(LINK_ENDED,))
    agency = _agency(item, partner, now)
    missing = () if agency.roles else (NOTHING_GRANTABLE,)
    return ItemSetup(item.link_type, item.link_reference, partner, agency=agency, missing=missing)


# --- the steps a person follows ------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One value the customer types or pastes; pages give it a copy button."""

    label: str
    text: str


@dataclass(frozen=True)
class Step:
    title: str
    values: tuple[Value, ...] = ()
    note: str = ""


# Written in the reader's language when a step is made (receipt page, e-mail).
MISSING_WORDS = {
    NO_CONNECTION: gettext_lazy(
        "Your partner has not connected its Huawei Cloud account to the partner portal yet, "
        "so the values of this step are not known. Your partner will send them; nothing is "
        "needed from you until then."
    ),
    NO_INVITATION: gettext_lazy(
        "Your partner has not given its association invitation link yet. Your partner will "
        "send it; nothing is needed from you until then."
    ),
    NO_LINK: gettext_lazy("This part could not be put in place. Your partner will contact you."),
    LINK_ENDED: gettext_lazy("This access has ended: there is nothing to set up."),
    SUPERSEDED: gettext_lazy(
        "A later decision changed this access: follow the steps on the receipt of that "
        "decision instead."
    ),
    NOTHING_GRANTABLE: gettext_lazy(
        "None of the consented services can be granted through an agency. Your partner "
        "will contact you."
    ),
}


def _region_label(region: str, region_names: dict[str, str]) -> str:
    name = region_names.get(region)
    return f"{name} ({region})" if name else region


def _utc_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration_note(duration: AgencyDuration, moment: Callable[[datetime], str]) -> str:
    if duration.value == FOREVER:
        return _("The access has no end date, so the agency has none either.")
    ends = moment(duration.link_ends_at) if duration.link_ends_at else ""
    if duration.outlasts_link:
        return _(
            "The access ends at %(ends)s, in less than a day. ONEDAY is the shortest validity "
            "Huawei Cloud offers, so the agency lasts a few hours longer: delete it after "
            "%(ends)s if you wish. Your partner's access through the portal ends at %(ends)s."
        ) % {"ends": ends}
    return ngettext(
        "The access ends at %(ends)s. An agency's validity counts in whole days from its "
        "creation, so %(days)s day created today ends no later than the access. Created on "
        "a later day, use the number of whole days left until then (this page always shows "
        "today's number).",
        "The access ends at %(ends)s. An agency's validity counts in whole days from its "
        "creation, so %(days)s days created today ends no later than the access. Created on "
        "a later day, use the number of whole days left until then (this page always shows "
        "today's number).",
        duration.days or 1,
    ) % {"ends": ends, "days": duration.days}


def setup_steps(
    setup: ItemSetup,
    *,
    region_names: dict[str, str],
    moment: Callable[[datetime], str] = _utc_moment,
) -> tuple[Step, ...]:
    """The numbered steps of one item in Huawei Cloud's console, in the customer's words;
    `moment` writes a date and time (the portal's `local_moment`)."""
    if setup.missing:
        return (Step(title=str(MISSING_WORDS[setup.missing[0]])),)
    if setup.billing is not None:
        billing = setup.billing
        return (
            Step(
                _(
                    "Sign in to the Huawei Cloud console with your account (the account named "
                    "on this receipt), then open the partner's invitation link."
                ),
                (Value(_("Invitation link"), billing.invitation_url),),
            ),
            Step(
                _(
                    "Check that the partner is the one below and that the association type is "
                    "resale (the partner pays Huawei Cloud and bills you), then accept the "
                    "invitation."
                ),
                (Value(_("Partner account"), billing.partner_domain_name),),
            ),
        )
    agency = setup.agency
    if agency is None:  # not reached: a setup without billing, agency or missing is not made
        return ()
    steps = [
        Step(
            _(
                "Sign in to the Huawei Cloud console as an administrator of your account. Open "
                "Identity and Access Management (IAM), choose Agencies, then Create Agency."
            )
        ),
        Step(_("Agency name:"), (Value(_("Agency name"), agency.name),)),
        Step(
            _("Agency type: Account. Delegated account (your partner's account name):"),
            (Value(_("Delegated account"), agency.trusted_domain_name),),
        ),
        Step(
            _("Validity period:"),
            (Value(_("Validity period"), agency.duration.value),),
            note=_duration_note(agency.duration, moment),
        ),
        Step(_("Description:"), (Value(_("Description"), agency.description),)),
    ]
    if agency.project_roles:
        for project in agency.project_roles:
            steps.append(
                Step(
                    _(
                        "Permissions in the region %(region)s: choose Region-specific projects, "
                        "the project %(project)s, and these system permissions:"
                    )
                    % {
                        "region": _region_label(project.project, region_names),
                        "project": project.project,
                    },
                    tuple(Value(_("Permission"), role) for role in project.roles),
                )
            )
    if agency.domain_roles:
        steps.append(
            Step(
                _(
                    "Permissions for global services: choose Global services and these system "
                    "permissions:"
                ),
                tuple(Value(_("Permission"), role) for role in agency.domain_roles),
            )
        )
    steps.append(
        Step(
            _(
                "Grant nothing else, and save the agency. The partner portal checks the agency "
                "and tells your partner when the access works."
            ),
            note=(
                _(
                    "Not granted, because no system permission gives exactly what you consented "
                    "to: %(services)s. Your partner will ask you for those changes."
                )
                % {"services": ", ".join(agency.not_grantable)}
                if agency.not_grantable
                else ""
            ),
        )
    )
    return tuple(steps)


# --- what the customer removes when the link ends --------------------------------------------


@dataclass(frozen=True)
class ItemCleanup:
    """What is left in the customer's cloud after a link ends, and how to remove it; derived
    from the same names as the setup (`agency_name`), so it names exactly what was created."""

    link_type: str
    link_reference: str
    # Delegation and provisioning: the agency to delete, and the partner account it trusts
    # ("" when the reseller has no connection to say it).
    agency_name: str = ""
    trusted_domain_name: str = ""
    regions: tuple[str, ...] = ()
    # Billing: the partner account the association is with, and when the billing ends.
    partner_domain_name: str = ""
    billing_ends_at: datetime | None = None

    @property
    def has_agency(self) -> bool:
        return bool(self.agency_name)


def derive_cleanup(
    *,
    link_type: str,
    link_reference: str,
    partner_id: str,
    regions: tuple[str, ...] = (),
    partner: PartnerAccount | None = None,
    billing_ends_at: datetime | None = None,
) -> ItemCleanup:
    """The clean-up of one ended link. `partner_id` is the reseller's platform id (the agency's
    name needs nothing else); `partner` adds the trusted account's name when it is known."""
    domain_name = partner.domain_name if partner else ""
    if link_type == BILLING:
        return ItemCleanup(
            link_type,
            link_reference,
            partner_domain_name=domain_name,
            billing_ends_at=billing_ends_at,
        )
    return ItemCleanup(
        link_type,
        link_reference,
        agency_name=agency_name(partner_id, link_reference),
        trusted_domain_name=domain_name,
        regions=tuple(regions),
    )


def cleanup_steps(
    cleanup: ItemCleanup, *, moment: Callable[[datetime], str] = _utc_moment
) -> tuple[Step, ...]:
    """The console steps that remove what the link left in the customer's cloud."""
    if not cleanup.has_agency:
        ends = moment(cleanup.billing_ends_at) if cleanup.billing_ends_at else _("the link's end")
        partner = cleanup.partner_domain_name or _("your partner's account")
        return (
            Step(
                _(
                    "Nothing to delete now: the billing association ends with the billing "
                    "period, at %(ends)s, and your partner ends it in the cloud."
                )
                % {"ends": ends},
            ),
            Step(
                _(
                    "After that, check in the Huawei Cloud console (Billing Center, partner "
                    "information) that this partner account is no longer associated with your "
                    "account; if it still is, unbind it there or ask your partner to:"
                ),
                (Value(_("Partner account"), partner),),
            ),
        )
    trusted = (
        (Value(_("Delegated account"), cleanup.trusted_domain_name),)
        if cleanup.trusted_domain_name
        else ()
    )
    return (
        Step(
            _(
                "Sign in to the Huawei Cloud console as an administrator of your account. Open "
                "Identity and Access Management (IAM) and choose Agencies."
            )
        ),
        Step(
            _("Find the agency with this name (it trusts your partner's account):"),
            (Value(_("Agency name"), cleanup.agency_name), *trusted),
        ),
        Step(
            _("Choose Delete in its row and confirm."),
            note=_(
                "Your partner's access through the partner portal has ended already; deleting "
                "the agency ends its access in the cloud too. The partner portal checks that "
                "the agency is gone."
            ),
        ),
    )
