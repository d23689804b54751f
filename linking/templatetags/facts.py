"""Template side of `linking.provenance`: a customer fact with its source and age."""

from __future__ import annotations

from django import template
from django.utils import timezone

from linking.cloud.types import VERIFIED_LABELS
from linking.provenance import FactSource, Provenance, age_in_words, fact_provenance

register = template.Library()


@register.filter
def provenance(customer, fact: str = "status") -> str:
    """`{{ customer|provenance:"status" }}`: "confirmed by Huawei Cloud 3 minutes ago"."""
    return fact_provenance(customer, fact).words()


@register.filter
def provenance_stale(customer, fact: str = "status") -> bool:
    return fact_provenance(customer, fact).is_stale()


@register.filter
def association_provenance(association) -> str:
    """When the last sync saw an association: the same words as a customer's facts."""
    return Provenance(FactSource.CLOUD, association.confirmed_at).words()


@register.filter
def verification_label(value: str) -> str:
    return VERIFIED_LABELS.get(value or "", "not reported")


@register.filter
def ago(moment) -> str:
    """`{{ connection.synced_at|ago }}`: "3 minutes ago", in the words the facts use."""
    if moment is None:
        return ""
    return f"{age_in_words(max(0.0, (timezone.now() - moment).total_seconds()))} ago"
