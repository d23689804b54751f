"""The rows of the request lists and the request status badge.

`{% request_row req %}` writes one `<tr>` of the request list and `{% request_status_badge req %}`
the status badge of every page (through the `linking/_status_badge.html` partial). Each is one
`format_html` call: a row of template nodes resolving and localising every cell costs more than
the page's queries, and `format_html` escapes every value by construction.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.timesince import timesince

from portal.rows import local_moment, muted
from portal.templatetags.row_urls import pk_url_for

register = template.Library()

_BADGE_CLASSES = {
    "completed": "text-bg-success",
    "pending_approval": "text-bg-warning",
    "pending_consent": "text-bg-warning",
    "draft": "text-bg-secondary",
}
_NOT_CHOSEN = muted("not chosen yet")
_NO_TYPES = muted("none yet")
_NOBODY = muted("nobody")


@register.simple_tag
def request_status_badge(req) -> SafeString:
    return format_html(
        '<span class="badge {}">{}</span>',
        _BADGE_CLASSES.get(req.effective_status, "text-bg-dark"),
        req.get_effective_status_display(),
    )


@register.simple_tag
def request_row(req) -> SafeString:
    """One `<tr>` of the request list (see the table head in `linking/request_list.html`)."""
    customer = req.customer
    if customer is not None:
        who = format_html(
            '{} <span class="text-muted small" title="{}">{}</span>',
            customer.display_name,
            customer.account_id,
            customer.short_label,
        )
    else:
        who = _NOT_CHOSEN
    waiting = req.waiting_on
    if waiting:
        since = req.waiting_since
        move = format_html(
            '{} <span class="text-muted small">for {}</span>',
            capfirst(waiting),
            timesince(since) if since else "",
        )
    else:
        move = _NOBODY
    return format_html(
        '<tr>\n      <td><a href="{}">{}</a></td>\n      <td>{}</td>\n      <td>{}</td>\n'
        '      <td>{}</td>\n      <td data-waiting-on="{}">{}</td>\n      <td>{}</td>\n'
        '      <td>{}</td>\n      <td class="small">{}</td>\n    </tr>',
        pk_url_for("linking:request-detail", req.pk),
        req.reference,
        who,
        req.link_types_display or _NO_TYPES,
        request_status_badge(req),
        waiting,
        move,
        req.ticket_reference or "—",
        req.initiator,
        local_moment(req.created_at),
    )
