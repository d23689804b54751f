"""The language of the pages: the stored choice, else the browser's Accept-Language, else English;
the switch on every page; error codes, API errors and dates in the chosen language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from portal.codes import CODES
from portal.dates import local_day, local_moment
from tests.conftest import login

HELP = reverse("portal:error-codes")
SWITCH = reverse("portal:language-set")
CHINESE = "zh-hans"


@pytest.fixture(autouse=True)
def _english_around_each_test():
    # LocaleMiddleware leaves the last request's language active in the thread: a Chinese
    # request here must not make a later test (of any module) run in Chinese.
    translation.deactivate()
    yield
    translation.deactivate()


def _language_of(response) -> str:
    return response["Content-Language"]


def test_without_a_choice_or_a_browser_language_pages_are_english(client, db):
    response = client.get(HELP)
    assert _language_of(response) == "en"
    assert "Malformed account id" in response.text


def test_accept_language_selects_chinese(client, db):
    response = client.get(HELP, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert _language_of(response) == CHINESE
    assert "账号 ID 格式错误" in response.text
    assert "Malformed account id" not in response.text


def test_the_error_code_help_page_in_chinese_writes_units_in_chinese(client, db):
    response = client.get(HELP, HTTP_ACCEPT_LANGUAGE=CHINESE)
    # CUS-S004's message holds `{minutes:minute}`: the help page names the unit in Chinese.
    assert "因 {minutes} 分钟无操作而已退出登录" in response.text
    assert "{minutes} minutes" not in response.text


def test_a_stored_chinese_choice_beats_an_english_browser(client, cast):
    User.objects.filter(pk=cast.viewer.pk).update(language=CHINESE)
    login(client, cast.viewer)
    response = client.get(HELP, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _language_of(response) == CHINESE
    assert "账号 ID 格式错误" in response.text


def test_a_stored_english_choice_beats_a_chinese_browser(client, cast):
    User.objects.filter(pk=cast.viewer.pk).update(language="en")
    login(client, cast.viewer)
    response = client.get(HELP, HTTP_ACCEPT_LANGUAGE=CHINESE)
    assert _language_of(response) == "en"
    assert "Malformed account id" in response.text


def test_no_stored_choice_follows_the_browser(client, cast):
    login(client, cast.viewer)
    assert _language_of(client.get(HELP, HTTP_ACCEPT_LANGUAGE=CHINESE)) == CHINESE
    assert _language_of(client.get(HELP, HTTP_ACCEPT_LANGUAGE="en")) == "en"


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_offers_the_language_switch(client, cast, signed_in):
    if signed_in:
        login(client, cast.viewer)
    for url in (HELP, reverse("accounts:login"), reverse("customer:sign-in")):
        response = client.get(url)
        if response.status_code == 302:
            continue
        assert f'action="{SWITCH}"' in response.text, url
        assert 'value="zh-hans"' in response.text and "简体中文" in response.text


def test_the_switch_stores_the_choice_of_a_signed_in_user(client, cast):
    login(client, cast.viewer)
    response = client.post(SWITCH, {"language": CHINESE}, HTTP_REFERER=f"http://testserver{HELP}")
    assert response.status_code == 302 and response.url.endswith(HELP)
    cast.viewer.refresh_from_db()
    assert cast.viewer.language == CHINESE
    assert cast.viewer.history.latest().history_change_reason == "Language chosen"
    # A new browser without the cookie still gets the stored choice.
    client.cookies.clear()
    login(client, cast.viewer)
    assert _language_of(client.get(HELP, HTTP_ACCEPT_LANGUAGE="en")) == CHINESE


def test_the_switch_for_a_visitor_sets_only_the_cookie(client, db):
    response = client.post(SWITCH, {"language": CHINESE})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == CHINESE
    assert _language_of(client.get(HELP, HTTP_ACCEPT_LANGUAGE="en")) == CHINESE


def test_the_switch_refuses_a_language_the_portal_does_not_speak(client, cast):
    login(client, cast.viewer)
    response = client.post(SWITCH, {"language": "fr"})
    assert response.status_code == 302
    cast.viewer.refresh_from_db()
    assert cast.viewer.language == ""


def test_the_switch_answers_only_post(client, db):
    assert client.get(SWITCH).status_code == 405


def test_an_api_error_follows_accept_language(client, db):
    url = reverse("api:link-list")
    english = client.get(url).json()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE=CHINESE).json()
    assert english["code"] == chinese["code"] == "API-K001"
    assert english["message"] == "The request carries no API key, or one the portal does not know."
    assert chinese["message"] == "请求未携带 API 密钥，或携带的密钥门户无法识别。"


def test_a_code_renders_its_counts_in_the_active_language():
    message, _ = CODES["CUS-S004"].render(minutes=15)
    assert "after 15 minutes without activity" in message
    with translation.override(CHINESE):
        message, hint = CODES["CUS-S004"].render(minutes=15)
    assert message == "您尚未登录客户中心，或因 15 分钟无操作而已退出登录。"
    assert hint == "请输入您的联系邮箱以获取新的登录验证码。"


def test_dates_are_written_in_the_language_format(settings):
    settings.TIME_ZONE = "UTC"
    moment = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    assert (local_day(moment), local_moment(moment)) == ("2026-12-03", "2026-12-03 16:30 UTC")
    with translation.override(CHINESE):
        assert (local_day(moment), local_moment(moment)) == (
            "2026年12月3日",
            "2026年12月3日 16:30 UTC",
        )
