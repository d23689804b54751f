"""The customer's e-mails about a link go through the outbox, a real Celery worker on Redis and
SMTP: the reminder before a delegation ends (as the beat's sweep sends it), with the way to the
customer centre and to the centre's withdrawal of the link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from linking import tasks
from linking.checks import ItemSpec
from linking.models import Link, Notification
from portal.emails import absolute_url
from tests.integration.servers import wait_for
from tests.journeys import active_link

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=90,
)


def test_the_worker_mails_the_customer_the_reminder_before_the_end(cast, request):
    link = active_link(cast, [READ_ONLY])
    assert link.status == Link.Status.ACTIVE
    # The worker and the SMTP server start once the link is proven, so they cannot race the
    # journey's own steps (which deliver its e-mails themselves).
    smtp_server = request.getfixturevalue("smtp_server")
    request.getfixturevalue("celery_worker_redis")
    now = timezone.now()
    # A delegation that began a month ago and ends in a little under a week.
    Link.objects.filter(pk=link.pk).update(
        starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=6, hours=23)
    )

    assert tasks.link_expiry_remind_sweep_task() == 1  # what the beat runs
    contact = cast.customer.contact_email
    message = smtp_server.wait_for_message(
        to=contact,
        subject=f"Access of {cast.reseller.name} to your cloud account ends in 6 days "
        f"({link.reference})",
    )
    assert absolute_url(reverse("customer:withdraw", args=[link.pk])) in message.text
    assert absolute_url(reverse("customer:home")) in message.text
    assert "End it sooner" in message.html
    # The reseller's reminder went out too, to the initiator.
    smtp_server.wait_for_message(to=cast.initiator.email)

    def all_sent():
        rows = Notification.objects.filter(link=link, kind="link_expiring")
        return rows.count() == 2 and all(n.status == "sent" for n in rows)

    wait_for(all_sent, what="both reminders marked sent")
    # A second sweep (the beat again, a minute later) sends nothing to anybody.
    assert tasks.link_expiry_remind_sweep_task() == 0
    assert Notification.objects.filter(link=link, kind="link_expiring").count() == 2
