"""An e-mail whose sentence comes from an error code is written again, at delivery, in the
recipient's language; the same row reads English for an English recipient."""

from __future__ import annotations

from django.core import mail

from linking.models import CustomerAccount, Notification
from linking.outbox.delivery import notification_deliver
from linking.services._common import _notify
from tests.journeys import accepted_link


def _over_privileged(link, to_email: str, audience: str) -> Notification:
    return _notify(
        Notification.Kind.LINK_OVER_PRIVILEGED,
        to_email,
        link=link,
        audience=audience,
        message="stored English sentence",
        hint="stored English hint",
        message_code="LNK-Y013",
        message_params={"reference": link.reference, "too_broad": "ECS in eu-west-101"},
    )


def test_a_code_sentence_is_written_in_the_recipient_language(cast):
    link = accepted_link(cast)
    CustomerAccount.objects.filter(pk=cast.customer.pk).update(contact_language="zh-hans")
    to_customer = _over_privileged(link, cast.customer.contact_email, "customer")
    to_initiator = _over_privileged(link, cast.initiator.email, "reseller")

    assert notification_deliver(notification_id=to_customer.pk) == "sent"
    assert notification_deliver(notification_id=to_initiator.pk) == "sent"

    chinese, english = mail.outbox[-2], mail.outbox[-1]
    assert (
        f"关联 {link.reference} 的云端配置所允许的超出了客户同意的范围：ECS in eu-west-101。"
        in chinese.body
    )
    assert chinese.subject.startswith("关联授予的权限超出同意范围：")
    assert "stored English" not in chinese.body
    assert (
        f"The cloud side of link {link.reference} allows more than the customer consented: "
        "ECS in eu-west-101." in english.body
    )
    assert english.subject.startswith("Link grants more than consented:")
