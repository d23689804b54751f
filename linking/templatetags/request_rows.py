"""The rows of the request lists, written in Python.

A row of the request list is a dozen template nodes, each resolving a lookup, localising,
escaping; 25 rows cost more than the page's queries. `{% request_row req %}` writes the markup
`format_html` would write, in one f-string whose every value is escaped (`portal.rows`), and
`{% request_status_badge req %}` is the status badge of every page (the
`linking/_status_badge.html` partial).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from portal.rows import esc, local_minute
from portal.templatetags.row_urls import pk_url_for

register = template.Library()

_BADGE_CLASSES = {
    "completed": "text-bg-success",
    "pending_approval": "text-bg-warning",
    "pending_consent": "text-bg-warning",
    "draft": "text-bg-secondary",
}
_NOT_CHOSEN = mark_safe('<span class="text-muted">not chosen yet</span>')
_NO_TYPES = mark_safe('<span class="text-muted">none yet</span>')
_NOBODY = mark_safe('<span class="text-muted">nobody</span>')


@register.simple_tag
def request_status_badge(req) -> SafeString:
    css = _BADGE_CLASSES.get(req.effective_status, "text-bg-dark")
    label = esc(req.get_effective_status_display())
    return mark_safe(f'<span class="badge {css}">{label}</span>')  # noqa: S308 (escaped)


@register.simple_tag
def request_row(req) -> SafeString:
    """One `<tr>` of the request list (see the table head in `linking/request_list.html`);
    the markup `format_html` would write, in one f-string (a test holds the two equal)."""
    customer = req.customer
    if customer is not None:
        who = (
            f"{esc(customer.display_name)} "
            f'<span class="text-muted small">{esc(customer.formatted_id)}</span>'
        )
    else:
        who = _NOT_CHOSEN
    waiting = req.waiting_on
    if waiting:
        since = req.waiting_since
        move = (
            f"{esc(waiting[:1].upper() + waiting[1:])} "
            f'<span class="text-muted small">for {esc(timesince(since)) if since else ""}</span>'
        )
    else:
        move = _NOBODY
    return mark_safe(  # noqa: S308 (every value above and below is escaped by esc)
        f'<tr>\n      <td><a href="{esc(pk_url_for("linking:request-detail", req.pk))}">'
        f"{esc(req.reference)}</a></td>\n      <td>{who}</td>\n"
        f"      <td>{esc(req.link_types_display or _NO_TYPES)}</td>\n"
        f"      <td>{request_status_badge(req)}</td>\n"
        f'      <td data-waiting-on="{esc(waiting)}">{move}</td>\n'
        f"      <td>{esc(req.ticket_reference or '—')}</td>\n"
        f"      <td>{esc(req.initiator)}</td>\n"
        f'      <td class="small">{esc(local_minute(req.created_at))}</td>\n    </tr>'
    )
