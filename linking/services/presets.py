"""Presets: named link types and scope that the wizard and batch rows start from.

Admins of a reseller create, change and delete them; every member uses them. A preset is judged
by the wizard's own rules (`check_items`, `check_consent_days`), so a preset that
saves is a scope the wizard would take.
"""

from __future__ import annotations

from dataclasses import asdict

from django.db import IntegrityError, transaction

from accounts.models import LinkType, Reseller, User
from accounts.permissions import has_reseller_perm
from linking.checks.items import check_items
from linking.checks.policy import check_consent_days
from linking.checks.reasons import ChecksFailed, ItemSpec, Reason, reason
from linking.models import AccessLevel, LinkRequest, Preset
from linking.services._common import _refuse_state, _save
from linking.services.requests import _lock_draft, link_request_set_types
from portal.errors import PortalError

# Only admins hold it; presets change what every colleague's requests start from.
MANAGE_PERM = "manage_members"


def _require_admin(actor: User, reseller: Reseller) -> None:
    if not has_reseller_perm(user=actor, reseller=reseller, perm=MANAGE_PERM):
        raise PortalError("LNK-T003", reseller=reseller.name)


def _normalise(specs: list[ItemSpec]) -> list[ItemSpec]:
    """One spec per type in the catalogue's order, each holding only what its type uses."""
    by_type = {spec.link_type: spec for spec in specs}
    known = [t for t in LinkType.values if t in by_type]
    unknown = [t for t in by_type if t not in LinkType.values]
    out = []
    for link_type in known + unknown:
        spec = by_type[link_type]
        if link_type == LinkType.BILLING:
            out.append(ItemSpec(link_type=link_type))
            continue
        scoped = ItemSpec(
            link_type=link_type,
            services=sorted(set(spec.services or [])),
            regions=sorted(set(spec.regions or [])),
        )
        if link_type == LinkType.DELEGATION:
            scoped.access_level = spec.access_level or ""
            scoped.duration_days = spec.duration_days
        out.append(scoped)
    return out


def preset_check(
    *, reseller: Reseller, items: list[ItemSpec], consent_days: int | None
) -> list[Reason]:
    """Every reason the wizard would refuse this scope for the reseller (no customer yet)."""
    reasons = check_items(reseller=reseller, customer=None, items=_normalise(items))
    return reasons + check_consent_days(consent_days)


def _name_taken(reseller: Reseller, name: str, exclude_pk: int | None = None) -> bool:
    qs = Preset.objects.filter(reseller=reseller, name__iexact=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _write(preset: Preset, *, actor: User, reason: str, fields: list[str] | None) -> Preset:
    preset._history_user = actor
    preset._change_reason = reason
    try:
        # A savepoint: a concurrent preset of the same name must not break the caller's
        # transaction, only this write.
        with transaction.atomic():
            if fields is None:
                preset.save()
            else:
                preset.save(update_fields=fields)
    except IntegrityError as exc:
        raise PortalError("LNK-T002", name=preset.name) from exc
    return preset


def _validated(
    *,
    reseller: Reseller,
    name: str,
    items: list[ItemSpec],
    consent_days: int | None,
    exclude_pk: int | None = None,
) -> tuple[str, list[ItemSpec]]:
    name = " ".join((name or "").split())
    reasons = []
    if not name:
        reasons.append(reason("LNK-T004"))
    elif _name_taken(reseller, name, exclude_pk):
        reasons.append(reason("LNK-T002", name=name))
    specs = _normalise(items)
    reasons += preset_check(reseller=reseller, items=specs, consent_days=consent_days)
    if reasons:
        # Every reason at once, like the wizard's dry run.
        raise ChecksFailed(reasons)
    return name, specs


@transaction.atomic
def preset_create(
    *,
    actor: User,
    reseller: Reseller,
    name: str,
    description: str = "",
    items: list[ItemSpec],
    consent_days: int | None = None,
) -> Preset:
    """Save a new preset of the reseller. Admins only; the wizard's rules judge the scope."""
    _require_admin(actor, reseller)
    name, specs = _validated(reseller=reseller, name=name, items=items, consent_days=consent_days)
    preset = Preset(
        reseller=reseller,
        name=name,
        description=(description or "").strip(),
        items=[asdict(spec) for spec in specs],
        consent_days=consent_days,
        created_by=actor,
    )
    return _write(preset, actor=actor, reason="preset created", fields=None)


@transaction.atomic
def preset_update(
    *,
    actor: User,
    preset_id: int,
    name: str,
    description: str = "",
    items: list[ItemSpec],
    consent_days: int | None = None,
) -> Preset:
    """Change a preset. Admins of its reseller only; drafts already started keep their scope."""
    preset = Preset.objects.select_for_update().select_related("reseller").get(pk=preset_id)
    _require_admin(actor, preset.reseller)
    name, specs = _validated(
        reseller=preset.reseller,
        name=name,
        items=items,
        consent_days=consent_days,
        exclude_pk=preset.pk,
    )
    preset.name = name
    preset.description = (description or "").strip()
    preset.items = [asdict(spec) for spec in specs]
    preset.consent_days = consent_days
    return _write(
        preset,
        actor=actor,
        reason="preset changed",
        fields=["name", "description", "items", "consent_days", "updated_at"],
    )


@transaction.atomic
def preset_delete(*, actor: User, preset_id: int) -> None:
    """Delete a preset. Admins of its reseller only; requests started from it are unaffected."""
    preset = Preset.objects.select_for_update().select_related("reseller").get(pk=preset_id)
    _require_admin(actor, preset.reseller)
    preset._history_user = actor
    preset._change_reason = "preset deleted"
    preset.delete()


def preset_resolve(reseller: Reseller, name: str) -> Preset:
    """The reseller's preset of that name (case and repeated spaces ignored), for a batch row's
    `preset` column; raises PortalError LNK-T001 when there is none."""
    wanted = " ".join((name or "").split())
    preset = (
        Preset.objects.filter(reseller=reseller, name__iexact=wanted).first() if wanted else None
    )
    if preset is None:
        raise PortalError("LNK-T001", reseller=reseller.name, name=wanted[:80])
    return preset


def preset_specs(preset: Preset) -> list[ItemSpec]:
    """The preset's items as the wizard's ItemSpecs, one per link type."""
    return [
        ItemSpec(
            link_type=item.get("link_type", ""),
            services=list(item.get("services") or []),
            regions=list(item.get("regions") or []),
            access_level=item.get("access_level") or "",
            duration_days=item.get("duration_days"),
        )
        for item in preset.items or []
    ]


def preset_item_values(preset: Preset) -> dict:
    """What a request takes from the preset, in the shapes the wizard's services take:

    {"link_types": [...] for link_request_set_types,
     "scopes": {link_type: ItemSpec} for link_request_set_scope,
     "consent_days": int or None (None: the reseller's default)}
    A batch row may override any of it before the checks run.
    """
    specs = preset_specs(preset)
    return {
        "link_types": [spec.link_type for spec in specs],
        "scopes": {spec.link_type: spec for spec in specs},
        "consent_days": preset.consent_days,
    }


@transaction.atomic
def link_request_apply_preset(*, actor: User, request_id: int, preset_id: int) -> LinkRequest:
    """Fill a draft's link types, scope and consent deadline from a preset of its reseller.

    The initiator of the draft only; the draft stays editable, nothing is submitted. A preset
    that no longer fits the program or the catalogs is refused with every reason.
    """
    req = _lock_draft(actor, request_id)
    if req.amends_link_id:
        # A change of scope or a renewal keeps the type of its link.
        raise _refuse_state(req, "given a preset")
    preset = Preset.objects.filter(reseller=req.reseller, pk=preset_id).first()
    if preset is None:
        raise PortalError("LNK-T001", reseller=req.reseller.name, name=str(preset_id))
    values = preset_item_values(preset)
    reasons = preset_check(
        reseller=req.reseller,
        items=list(values["scopes"].values()),
        consent_days=values["consent_days"],
    )
    if reasons:
        raise ChecksFailed(reasons)
    link_request_set_types(actor=actor, request_id=req.pk, link_types=values["link_types"])
    reason = f"preset “{preset.name}” applied"
    for item in req.items.all():
        spec = values["scopes"].get(item.link_type)
        if spec is None:
            continue
        item.services, item.regions = list(spec.services), list(spec.regions)
        if item.link_type == LinkType.DELEGATION:
            item.access_level = spec.access_level or AccessLevel.READ_ONLY
            item.duration_days = spec.duration_days
        _save(
            item,
            actor=actor,
            reason=reason,
            fields=["services", "regions", "access_level", "duration_days"],
        )
    req.refresh_from_db(fields=["wizard_step"])
    fields = []
    if values["consent_days"]:
        req.consent_days = values["consent_days"]
        fields.append("consent_days")
    _save(req, actor=actor, reason=reason, fields=fields or ["wizard_step"])
    return req
