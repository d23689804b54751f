"""Every e-mail is written in its recipient's language, over real SMTP: the customer contact's
stored language, the operator's; English when nobody chose. The receipt follows the customer's
language and still names services and regions exactly as the catalogue does."""

from __future__ import annotations

from urllib.parse import urlsplit

from accounts.models import User
from linking import journeys
from linking.checks import ItemSpec
from linking.consent import receipts
from linking.models import CustomerAccount, Notification
from linking.outbox.delivery import notification_deliver
from tests.conftest import make_draft, submit
from tests.journeys import pending_consent

CHINESE = "zh-hans"


def _deliver(smtp_server, notification: Notification):
    """Deliver one outbox row as the worker does; the message the SMTP server received."""
    before = len(smtp_server.to(notification.to_email))
    assert notification_deliver(notification_id=notification.pk) == "sent"
    received = smtp_server.to(notification.to_email)
    assert len(received) == before + 1
    return received[-1]


def _deliver_kind(smtp_server, req, kind: str):
    return _deliver(smtp_server, Notification.objects.filter(request=req, kind=kind).latest("id"))


def _subject(mail) -> str:
    # An encoded (non-ASCII) subject is folded onto its own header line.
    return " ".join(mail.subject.split())


def _chinese_customer(cast) -> None:
    CustomerAccount.objects.filter(pk=cast.customer.pk).update(contact_language=CHINESE)


def test_a_chinese_customer_gets_the_consent_email_in_chinese(cast, smtp_server):
    _chinese_customer(cast)
    req = pending_consent(cast)

    mail = _deliver_kind(smtp_server, req, Notification.Kind.CONSENT_REQUEST)

    assert mail.envelope_to == [cast.customer.contact_email]
    assert _subject(mail) == (
        f"Northwind Cloud 申请访问您的云账号 {cast.customer.label}（{req.reference}）"
    )
    assert mail.text.startswith("您好：")
    assert "请在此审阅申请，并逐项接受或拒绝：" in mail.text
    assert "Hello" not in mail.text and "What they ask for" not in mail.text
    # The catalogue's names, exactly as the catalogue gives them, in a Chinese sentence.
    assert "服务： Elastic Cloud Server (ECS), Object Storage Service (OBS)" in mail.text
    assert "区域： AP-Singapore (ap-southeast-1)" in mail.text
    assert 'lang="zh-hans"' in mail.html
    assert "审阅并决定" in mail.html and "Review and decide" not in mail.html
    assert "此邮件由合作伙伴门户" in mail.html
    assert "/consent/" in mail.consent_url()


def test_the_receipt_email_and_document_follow_the_customer_language(cast, smtp_server):
    _chinese_customer(cast)
    req = pending_consent(cast)
    consent = _deliver_kind(smtp_server, req, Notification.Kind.CONSENT_REQUEST)
    token = urlsplit(consent.consent_url()).path.strip("/").split("/")[-1]
    req, reference = journeys.decide_all(req, accept=True, token=token)

    receipt_mail = _deliver_kind(smtp_server, req, Notification.Kind.CONSENT_RECEIPT)
    assert _subject(receipt_mail) == f"回执 {reference}：您对 Northwind Cloud 申请的决定"
    assert "谢谢。您对 Northwind Cloud（合作伙伴 ID P-100001）" in receipt_mail.text
    assert "委托管理 — 已接受" in receipt_mail.text
    assert "请保留此邮件作为记录。" in receipt_mail.text
    assert "回执编号：" in receipt_mail.html and "Receipt number" not in receipt_mail.html

    # The initiator chose nothing: their e-mail about the same decision stays English.
    decided = _deliver_kind(smtp_server, req, Notification.Kind.CUSTOMER_DECIDED)
    assert decided.envelope_to == [cast.initiator.email]
    assert _subject(decided) == f"Acme Retail decided on {req.reference}: accepted"
    assert decided.text.startswith("Hello,")

    receipt = receipts.receipt_for(reference)
    assert receipt is not None
    lines = receipt.text.splitlines()
    assert lines[0] == "授权同意回执"
    assert f"编号：{reference}" in lines
    assert "   服务：Elastic Cloud Server (ECS), Object Storage Service (OBS)" in lines
    assert "   区域：AP-Singapore (ap-southeast-1)" in lines
    assert "   决定：已接受：按申请内容授予。" in lines
    assert receipts.receipt_verify(receipt.text)
    # The reseller downloads the same bytes, whatever language its own pages are in.
    for_reseller = receipts.receipt_for(reference, reseller=cast.reseller)
    assert for_reseller is not None and for_reseller.text == receipt.text


def test_an_operator_who_chose_chinese_gets_chinese_emails_and_the_others_english(
    cast, smtp_server
):
    User.objects.filter(pk=cast.approver.pk).update(language=CHINESE)
    req = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    owed = list(Notification.objects.filter(request=req, kind=Notification.Kind.APPROVAL_NEEDED))
    assert cast.approver.email in {n.to_email for n in owed}

    mails = {n.to_email: _deliver(smtp_server, n) for n in owed}

    chinese = mails.pop(cast.approver.email)
    assert _subject(chinese) == f"需要审批：{req.reference}，客户 Acme Retail"
    assert "需要您批准后客户才能看到" in chinese.text
    assert "您不能批准自己的申请。" in chinese.html
    assert "计费关联" in chinese.text
    for english in mails.values():
        assert _subject(english) == f"Approval needed: {req.reference} for Acme Retail"
        assert "Billing association" in english.text


def test_a_chinese_contact_gets_the_customer_centre_code_in_chinese(
    cast, smtp_server, client, django_capture_on_commit_callbacks
):
    _chinese_customer(cast)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/customer/sign-in/", {"email": cast.customer.contact_email})
    assert response.status_code == 302
    notification = Notification.objects.filter(kind=Notification.Kind.CUSTOMER_CODE).latest("id")

    mail = _deliver(smtp_server, notification)

    assert _subject(mail) == "您的合作伙伴门户客户中心登录验证码"
    assert "您登录客户中心的验证码是：" in mail.text
