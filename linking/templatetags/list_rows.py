"""The rows of the links and customers lists and the link state badge.

`{% link_row link %}` and `{% customer_row customer %}` write one `<tr>` of their lists, and
`{% link_state_badge link %}` the badge of every page (through `linking/_link_state.html`);
each is one `format_html` call, so every value is escaped by construction.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.rows import local_day
from portal.templatetags.row_urls import pk_url_for

register = template.Library()

_STATE_CLASSES = {
    "active": "text-bg-success",
    "activating": "text-bg-warning",
    "awaiting_setup": "text-bg-info",
    "revoking": "text-bg-secondary",
    "suspended": "text-bg-warning",
    "broken": "text-bg-danger",
}


@register.simple_tag
def link_state_badge(link) -> SafeString:
    state = link.effective_status
    badge = format_html(
        '<span class="badge {}" data-state="{}">{}</span>',
        _STATE_CLASSES.get(state, "text-bg-dark"),
        state,
        link.get_effective_status_display(),
    )
    if not link.over_privileged:
        return badge
    # Drift: the cloud side allows more than consented; what, on hover and on the link's page.
    return format_html(
        '{} <span class="badge text-bg-warning" data-flag="over_privileged" title="{}">'
        "Over-privileged</span>",
        badge,
        link.over_privileged_detail,
    )


def _scope(link) -> SafeString | str:
    if link.link_type == "billing":
        return "—"
    level = link.get_access_level_display() or ""
    services = ", ".join(map(str, link.services or []))
    if link.regions:
        return format_html("{} {} in {}", level, services, ", ".join(map(str, link.regions)))
    return format_html("{} {}", level, services)


@register.simple_tag
def link_row(link) -> SafeString:
    """One `<tr>` of the links list (see the table head in `linking/link_list.html`)."""
    customer = link.customer
    return format_html(
        '<tr>\n    <td><a href="{}">{}</a></td>\n'
        '    <td><a href="{}">{}</a> <span class="small text-muted" title="{}">{}</span></td>\n'
        "    <td>{}</td>\n    <td>{}</td>\n"
        '    <td class="small" data-verification="{}">{}</td>\n'
        '    <td class="small" data-cleanup="{}">{}</td>\n'
        '    <td class="small">{}</td>\n    <td class="small">{}</td>\n'
        '    <td class="small">{}</td>\n  </tr>',
        pk_url_for("linking:link-detail", link.pk),
        link.reference,
        pk_url_for("linking:customer-detail", link.customer_id),
        customer.display_name,
        customer.account_id,
        customer.short_label,
        link.get_link_type_display(),
        link_state_badge(link),
        link.verification_status,
        link.get_verification_status_display(),
        link.cleanup_status,
        link.get_cleanup_status_display() or "—",
        _scope(link),
        local_day(link.starts_at) or "—",
        local_day(link.ends_at) or "no end",
    )


@register.simple_tag
def customer_row(customer) -> SafeString:
    """One `<tr>` of the customers list (see the table head in `linking/customer_list.html`);
    `live_links` and `all_links` are the list selector's annotations."""
    return format_html(
        '<tr>\n    <td><a href="{}">{}</a></td>\n    <td>{}</td>\n    <td>{}</td>\n'
        "    <td>{}</td>\n    <td>{}</td>\n    <td>{}</td>\n  </tr>",
        pk_url_for("linking:customer-detail", customer.pk),
        customer.display_name,
        customer.label,
        customer.get_site_display(),
        customer.get_status_display(),
        customer.live_links,
        customer.all_links,
    )
