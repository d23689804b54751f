"""The pages in Simplified Chinese: a browser asking for zh-Hans reads every heading, table head
and button of representative pages in Chinese, while data values (partner, account, service and
region names, references, codes) stay exactly as stored. English stays the default."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from linking.checks import ItemSpec
from linking.selectors.dashboard import WAITING_ON_LABELS
from tests.conftest import login
from tests.journeys import accepted_link, pending_consent_with_token
from tests.linking.test_customer_centre import signed_in

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}
# The tags whose text the page template itself writes (form labels and Python-made values aside).
KEY_TAGS = {"h1", "h2", "h3", "th", "dt", "legend", "button", "summary", "title"}
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["eu-west-101"])


class _KeyTexts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in KEY_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in KEY_TAGS and tag in self.open:
            self.open.remove(tag)

    def handle_data(self, data):
        if self.open and data.strip():
            self.texts.append(data.strip())


def english_leftovers(html: str, *data: str) -> list[str]:
    """Key texts that still hold an English word once the page's data values are taken out."""
    parser = _KeyTexts()
    parser.feed(html)
    left = []
    for text in parser.texts:
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, "")
        if re.search(r"[A-Za-z]{3,}", text):
            left.append(text)
    return left


def _page(client, url, *data):
    response = client.get(url, **ZH)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert english_leftovers(html, *data) == []
    return html


@pytest.mark.django_db
def test_the_consent_page_is_in_chinese_and_keeps_the_catalogue_names(client, cast):
    req, token = pending_consent_with_token(cast, specs=[PROVISIONING])
    html = _page(
        client,
        reverse("consent:page", args=[token]),
        "Northwind Cloud",
        req.customer.display_name,
    )
    assert "Northwind Cloud 申请关联您的云账号" in html
    assert "确认我的决定" in html and "客户同意" in html
    # The scope is the catalogue's, word for word.
    assert "Elastic Cloud Server (ECS)" in html
    assert "EU-Dublin" in html
    assert "Confirm my decisions" not in html


@pytest.mark.django_db
def test_the_customer_centre_and_its_withdrawal_are_in_chinese(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = accepted_link(cast, specs=[PROVISIONING])
    sign_in = client.get(reverse("customer:sign-in"), **ZH).content.decode()
    assert "登录您的客户中心" in sign_in and "发送验证码到我的邮箱" in sign_in
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    home = client.get(reverse("customer:home"), **ZH).content.decode()
    assert "您的合作伙伴" in home and "撤回" in home
    assert "Northwind Cloud" in home and "Elastic Cloud Server (ECS)" in home
    withdraw = _page(
        client,
        reverse("customer:withdraw", args=[link.pk]),
        "Northwind Cloud",
    )
    assert "撤回您对 Northwind Cloud 的同意" in withdraw
    assert "我要撤回我的同意并结束此关联。" in withdraw
    assert "Elastic Cloud Server (ECS)" in withdraw


@pytest.mark.django_db
def test_operator_pages_are_in_chinese(client, cast):
    login(client, cast.admin)
    reseller = cast.reseller.name
    dashboard = _page(
        client,
        reverse("portal:dashboard"),
        reseller,
        cast.admin.email,
        # The waiting-on groups are Python's words, translated with the Python strings.
        *_python_labels(),
    )
    assert "按状态统计的申请" in dashboard and "仪表板" in dashboard
    assert "Requests by status" not in dashboard
    for name, data in [
        ("linking:request-list", ()),
        ("linking:link-list", ()),
        ("linking:approval-queue", ()),
        ("linking:batch-list", ()),
        ("linking:preset-list", ()),
        ("linking:customer-list", ()),
        ("accounts:member-list", (reseller,)),
    ]:
        _page(client, reverse(name), reseller, cast.admin.email, "CSV", *data)
    # The codes' own titles and texts are Python's; the page's words are the template's.
    codes = client.get(reverse("portal:error-codes"), **ZH).content.decode()
    assert '<h1 class="h3">错误代码</h1>' in codes and "<strong>处理方法：</strong>" in codes


@pytest.mark.django_db
def test_login_and_error_pages_are_in_chinese(client, cast):
    html = client.get(reverse("accounts:login"), **ZH).content.decode()
    assert "忘记密码？" in html and '<h1 class="h3 mb-3">登录</h1>' in html
    missing = client.get("/consent/receipt/not-a-receipt/", **ZH)
    assert missing.status_code in {200, 404}


@pytest.mark.django_db
def test_english_stays_the_default(client, cast):
    login(client, cast.admin)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert '<html lang="en">' in html and "Requests by status" in html


def _python_labels() -> list[str]:
    """The dashboard's waiting-on group names, made in Python (not a template's words)."""
    return [str(label) for label in WAITING_ON_LABELS.values()]
