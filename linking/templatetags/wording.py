"""Template side of `linking.wording`: pages and e-mails name regions the same way."""

from __future__ import annotations

from django import template

from linking import wording

register = template.Library()


@register.filter
def regions_named(codes, names=None) -> str:
    """`{{ item.regions|regions_named:region_names }}`: "AP-Singapore (ap-southeast-1), …"."""
    return wording.named(wording.regions_in_words(codes, names or {}))
