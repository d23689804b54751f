"""The customer's contact hears of every change of a link's state, once per event, through the
outbox, written by `_move_link` in the transaction of the change: active, ended by the
reseller, withdrawn by themselves, expired (broken and over-privileged: tests/linking/
test_drift.py; suspension: test_customer_state.py and test_reseller_state.py)."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from linking import services
from linking.models import Link, Notification
from linking.outbox.delivery import notification_deliver
from portal.emails import absolute_url
from tests.conftest import read_only_delegation
from tests.journeys import active_link, awaiting_setup_link, prove_setup


def to_customer(link) -> list[Notification]:
    return [
        n
        for n in Notification.objects.filter(link=link).order_by("id")
        if n.context.get("audience") == "customer"
    ]


def deliver(notification) -> mail.EmailMultiAlternatives:
    mail.outbox.clear()
    assert notification_deliver(notification_id=notification.pk) == "sent"
    [message] = mail.outbox
    return message


def delegation(cast, days=90):
    spec = read_only_delegation(cast)
    spec.duration_days = days
    return spec


def test_the_customer_hears_once_that_the_link_is_active(cast, capture):
    with capture():
        link = awaiting_setup_link(cast, [delegation(cast)])
    assert to_customer(link) == []
    with capture():
        link = prove_setup(cast, link)
    assert link.status == Link.Status.ACTIVE
    [notice] = to_customer(link)
    assert notice.kind == Notification.Kind.LINK_ACTIVE
    assert notice.to_email == cast.customer.contact_email
    # The reseller's notice is still its own, to the initiator.
    assert Notification.objects.filter(
        link=link, kind="link_active", to_email=cast.initiator.email
    ).exists()
    message = deliver(notice)
    assert message.subject == (
        f"{cast.reseller.name} now has the access you consented to ({link.reference})"
    )
    assert "The setup in your cloud account works" in message.body
    assert reverse("customer:withdraw", args=[link.pk]) in message.body
    assert reverse("customer:home") + "\n" in message.body
    # Never the operators' page of the link.
    assert absolute_url(reverse("linking:link-detail", args=[link.pk])) not in message.body
    html = message.alternatives[0][0]
    assert reverse("customer:withdraw", args=[link.pk]) in html


def test_an_end_by_the_reseller_is_one_e_mail_to_the_customer(cast, capture):
    with capture():
        link = active_link(cast, [delegation(cast)])
        before = len(to_customer(link))
        services.link_revoke(
            actor=cast.approver,
            link_id=link.pk,
            reason="contract over",
            confirm_reference=link.reference,
        )
    [notice] = to_customer(link)[before:]
    assert notice.kind == Notification.Kind.LINK_REVOKED
    assert notice.context["reason"] == "contract over"
    message = deliver(notice)
    assert "has ended" in message.subject and "contract over" in message.body
    # Where they see what is left: the customer centre, in both parts.
    assert reverse("customer:home") + "\n" in message.body
    assert absolute_url(reverse("customer:home")) in message.alternatives[0][0]


def test_a_withdrawal_is_one_e_mail_to_the_customer(cast, capture, client):
    from linking.services.revocation import link_withdraw_in_centre

    with capture():
        link = active_link(cast, [delegation(cast)])
        before = len(to_customer(link))
        link_withdraw_in_centre(
            contact_email=cast.customer.contact_email,
            account_ids=[cast.customer.pk],
            link_id=link.pk,
        )
    # The end notice is the customer's confirmation: no second e-mail for the same withdrawal.
    [notice] = to_customer(link)[before:]
    assert notice.kind == Notification.Kind.LINK_REVOKED
    assert (
        Notification.objects.filter(to_email=cast.customer.contact_email)
        .filter(kind=Notification.Kind.CONSENT_RECEIPT, link=link)
        .count()
        == 0
    )


def test_an_expiry_is_one_e_mail_to_the_customer(cast, capture):
    with capture():
        link = active_link(cast, [delegation(cast)])
    before = len(to_customer(link))
    with capture(), time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        assert services.link_expire_due() == 1
        assert services.link_expire_due() == 0
    [notice] = to_customer(link)[before:]
    assert notice.kind == Notification.Kind.LINK_EXPIRED


def test_every_customer_notice_of_a_link_goes_to_its_contact_only(cast, capture):
    with capture():
        link = active_link(cast, [delegation(cast)])
    with capture(), time_machine.travel(link.ends_at - timedelta(days=1), tick=False):
        services.link_expiry_remind_due()
    with capture(), time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        services.link_expire_due()
    kinds = [(n.kind, n.to_email) for n in to_customer(link)]
    contact = cast.customer.contact_email
    assert kinds == [
        ("link_active", contact),
        ("link_expiring", contact),
        ("link_expired", contact),
    ]
