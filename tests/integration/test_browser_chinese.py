"""A browser set to Simplified Chinese (locale zh-CN, so Accept-Language zh-CN) in a real
headless Chromium against the live server: the customer signs in to the customer centre with the
code the worker e-mailed over SMTP, reads the partner's link and withdraws it, all in Chinese, with
the service and region names exactly as the catalogue gives them; an operator reads the dashboard
in Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from linking import journeys
from linking.models import ConsentRecord, Link
from tests.conftest import PASSWORD
from tests.integration.servers import CONSENT_URL_RE, wait_for
from tests.integration.test_browser_journey import TIMEOUT_MS, background, browser  # noqa: F401
from tests.journeys import pending_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The code's e-mail, whichever language the worker wrote it in.
CODE_SUBJECTS = {
    "Your sign-in code for the Partner Portal customer centre",
    "您的合作伙伴门户客户中心登录验证码",
}


def chinese_page(browser, base_url: str):  # noqa: F811
    context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_a_chinese_customer_withdraws_from_the_centre_in_chinese(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    smtp_server,
    background,  # noqa: F811
):
    settings.PORTAL_BASE_URL = live_server.url
    req = pending_consent(cast)
    background()
    consent = smtp_server.wait_for_notification(kind="consent_request", request=req)
    token = CONSENT_URL_RE.search(consent.consent_url()).group("token")
    journeys.decide_all(req, accept=True, token=token)
    link = Link.objects.get(customer=cast.customer)
    background()
    email = cast.customer.contact_email
    page = chinese_page(browser, live_server.url)

    page.goto("/customer/sign-in/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("heading", name="登录您的客户中心").wait_for()
    page.locator("#id_email").fill(email)
    page.get_by_role("button", name="发送验证码到我的邮箱").click()
    page.wait_for_url(re.compile(r".*/customer/sign-in/code/$"))
    page.get_by_role("heading", name="输入邮件中的验证码").wait_for()
    background()
    message = wait_for(
        lambda: next(
            (m for m in smtp_server.to(email) if " ".join(m.subject.split()) in CODE_SUBJECTS),
            None,
        ),
        what="the sign-in code's e-mail",
    )
    code = re.search(r"\s(\d{6})\s", message.text).group(1)
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/customer/$"))

    page.get_by_role("heading", name="您的合作伙伴").wait_for()
    card = page.locator(f"#link-{link.pk}")
    text = card.inner_text()
    # Names of the partner, the services and the region are data: exactly the catalogue's.
    assert "Northwind Cloud" in text
    assert "Elastic Cloud Server (ECS)" in text and "Object Storage Service (OBS)" in text
    assert cast.region_a.name in text
    assert "的员工可以在下列区域内" in text and "读取" in text
    card.get_by_role("link", name="撤回").click()
    page.wait_for_url(re.compile(rf".*/customer/links/{link.pk}/withdraw/$"))
    page.get_by_role("heading", name="撤回您对 Northwind Cloud 的同意").wait_for()
    assert "如果您撤回，以下内容将停止：" in page.locator("#withdraw-effects").inner_text()
    page.get_by_label("我要撤回我的同意并结束此关联。").check()
    page.get_by_role("button", name="撤回同意").click()
    page.get_by_role("heading", name="您的同意已撤回").wait_for()

    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert ConsentRecord.objects.filter(link=link, decision="withdrawn").count() == 1
    page.get_by_role("link", name="返回您的客户中心").click()
    with translation.override("zh-hans"):
        revoked = str(Link.Status.REVOKED.label)
    wait_for(lambda: revoked in page.locator(f"#link-{link.pk} .link-state").inner_text())


def test_an_operator_reads_the_dashboard_in_chinese(browser, live_server, cast):  # noqa: F811
    page = chinese_page(browser, live_server.url)
    page.goto("/accounts/login/")
    page.get_by_role("heading", name="登录").wait_for()
    # An initiator: no second step after the password (that page has its own tests).
    page.locator("#id_username").fill(cast.initiator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    page.goto("/")
    page.get_by_role("heading", name="按状态统计的申请").wait_for()
    page.get_by_role("heading", name="等待最久").wait_for()
    main = page.locator("main").inner_text()
    assert "Northwind Cloud" in main  # the reseller's name is data
    assert "Requests by status" not in main and "Waiting longest" not in main
    nav = page.locator("nav.navbar").inner_text()
    assert "仪表板" in nav and "申请" in nav and "成员" in nav
