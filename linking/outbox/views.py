"""Pages for platform staff: the outbox (queued, retrying, failed, re-queue)."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from linking.models import Notification
from linking.outbox import delivery


def staff_required(perm: str):
    """Staff holding the model permission `perm` only: anonymous users go to the login page
    (the middleware), others get a 403. Auditors are staff with view permissions alone, so
    they read the outbox but cannot re-queue."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perm(perm)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_GET
@staff_required("linking.view_notification")
def outbox(request):
    status = request.GET.get("status", "")
    statuses = [status] if status in delivery.OUTBOX_STATUSES else delivery.OUTBOX_STATUSES
    rows = delivery.outbox_rows(statuses=statuses)
    page = Paginator(rows, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ops/outbox.html",
        {
            "counts": delivery.outbox_counts(),
            "page": page,
            "status": status if status in delivery.OUTBOX_STATUSES else "",
            "statuses": [(s, Notification.Status(s).label) for s in delivery.OUTBOX_STATUSES],
            "query": f"status={status}" if status in delivery.OUTBOX_STATUSES else "",
        },
    )


@require_POST
@staff_required("linking.change_notification")
def outbox_requeue(request):
    if request.POST.get("all") == "failed":
        ids = delivery.notification_ids_failed()
    else:
        # isdigit() alone lets through "²" and numbers too long for int() or the database.
        posted = request.POST.getlist("id")
        ids = [int(v) for v in posted if v.isascii() and v.isdigit() and len(v) < 19]
    requeued = delivery.notification_requeue(actor=request.user, notification_ids=ids)
    if requeued:
        count = len(requeued)
        messages.success(
            request,
            ngettext("Re-queued %(count)d e-mail.", "Re-queued %(count)d e-mails.", count)
            % {"count": count},
        )
    else:
        messages.info(request, gettext("Nothing to re-queue: those e-mails are no longer failed."))
    return redirect("ops:outbox")
