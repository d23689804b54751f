"""The rows of the links and customers lists and the link state badge, written in Python
(`portal.rows`).

`{% link_row link %}` and `{% customer_row customer %}` write the `<tr>` the lists' templates
wrote, and `{% link_state_badge link %}` the badge of `linking/_link_state.html`; tests hold
each to the template's output.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from portal.rows import esc, local_day
from portal.templatetags.row_urls import pk_url_for

register = template.Library()

_STATE_CLASSES = {
    "active": "text-bg-success",
    "activating": "text-bg-warning",
    "revoking": "text-bg-secondary",
    "suspended": "text-bg-warning",
}


@register.simple_tag
def link_state_badge(link) -> SafeString:
    state = link.effective_status
    css = _STATE_CLASSES.get(state, "text-bg-dark")
    label = esc(link.get_effective_status_display())
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<span class="badge {css}" data-state="{esc(state)}">{label}</span>'
    )


def _scope(link) -> str:
    if link.link_type == "billing":
        return "—"
    services = ", ".join(esc(s) for s in link.services or [])
    regions = ", ".join(esc(r) for r in link.regions or [])
    scope = f"{esc(link.get_access_level_display() or '')} {services}"
    return f"{scope} in {regions}" if link.regions else scope


@register.simple_tag
def link_row(link) -> SafeString:
    """One `<tr>` of the links list (see the table head in `linking/link_list.html`)."""
    customer = link.customer
    verification = esc(link.verification_status)
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<tr>\n    <td><a href="{esc(pk_url_for("linking:link-detail", link.pk))}">'
        f"{esc(link.reference)}</a></td>\n"
        f'    <td><a href="{esc(pk_url_for("linking:customer-detail", link.customer_id))}">'
        f"{esc(customer.display_name)}</a> "
        f'<span class="small text-muted">{esc(customer.formatted_id)}</span></td>\n'
        f"    <td>{esc(link.get_link_type_display())}</td>\n"
        f"    <td>{link_state_badge(link)}</td>\n"
        f'    <td class="small" data-verification="{verification}">'
        f"{esc(link.get_verification_status_display())}</td>\n"
        f'    <td class="small">{_scope(link)}</td>\n'
        f'    <td class="small">{local_day(link.starts_at) or "—"}</td>\n'
        f'    <td class="small">{local_day(link.ends_at) or "no end"}</td>\n  </tr>'
    )


@register.simple_tag
def customer_row(customer) -> SafeString:
    """One `<tr>` of the customers list (see the table head in `linking/customer_list.html`);
    `live_links` and `all_links` are the list selector's annotations."""
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<tr>\n    <td><a href="{esc(pk_url_for("linking:customer-detail", customer.pk))}">'
        f"{esc(customer.display_name)}</a></td>\n"
        f"    <td>{esc(customer.formatted_id)}</td>\n"
        f"    <td>{esc(customer.get_site_display())}</td>\n"
        f"    <td>{esc(customer.get_status_display())}</td>\n"
        f"    <td>{esc(customer.live_links)}</td>\n"
        f"    <td>{esc(customer.all_links)}</td>\n  </tr>"
    )
