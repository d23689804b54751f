"""The Cloud connection pages: roles, CSRF, the step-up, and a secret that never comes back."""

import csv
import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.models import PortalSession as Session
from linking.cloud.models import CloudConnection
from linking.cloud.tasks import cloud_connection_test_task
from tests.accounts.test_step_up import password_login, step_up_target
from tests.cloud.connection_setup import ACCESS_KEY, DOMAIN_ID, SECRET_KEY, save_connection
from tests.conftest import cast_shared_by_the_module, login

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

DETAIL = reverse("cloud:connection")
EDIT = reverse("cloud:connection-edit")
TEST = reverse("cloud:connection-test")
STATUS = reverse("cloud:connection-test-status")
GETS = [DETAIL, EDIT, STATUS]
POSTS = [EDIT, TEST]


def form_data(**changes):
    url = "https://bss-intl.myhuaweicloud.com"
    return {
        "partner_domain_id": DOMAIN_ID.upper(),
        "partner_account_name": "northwind-partner",
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "bss_endpoint": url,
        "iam_endpoint": "https://iam.myhuaweicloud.com",
        "ecs_endpoint": "https://ecs.{region}.myhuaweicloud.com",
        "invitation_url": "",
        **changes,
    }


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in GETS:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in POSTS:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_members_without_the_admin_role_are_refused(client, cast):
    save_connection(cast)
    for user in (cast.viewer, cast.initiator, cast.approver):
        login(client, user)
        assert [client.get(url).status_code for url in GETS] == [403, 403, 403]
        assert [client.post(url, form_data()).status_code for url in POSTS] == [403, 403]
    assert CloudConnection.objects.get().history.count() == 1


def test_the_admin_of_another_reseller_sees_only_their_own(client, cast):
    save_connection(cast)
    login(client, cast.outsider_admin)
    page = client.get(DETAIL).content.decode()
    assert "LNK-N006" in page
    assert "northwind-partner" not in page and DOMAIN_ID not in page
    client.post(TEST)
    assert CloudConnection.objects.get().test_status == "untested"


def test_an_admin_without_a_connection_is_told_so_and_sees_huawei_defaults(client, cast):
    login(client, cast.admin)
    page = client.get(DETAIL)
    assert page.status_code == 200
    assert "LNK-N006" in page.content.decode()
    form = client.get(EDIT)
    assert form.status_code == 200
    assert form.context["form"].initial["iam_endpoint"] == "https://iam.myhuaweicloud.com"


def test_an_admin_saves_the_connection_and_the_keys_are_never_shown(client, cast):
    login(client, cast.admin)
    response = client.post(EDIT, form_data())
    assert response.status_code == 302 and response["Location"] == DETAIL
    connection = CloudConnection.objects.get(reseller=cast.reseller)
    assert connection.partner_domain_id == DOMAIN_ID
    for url in (DETAIL, EDIT):
        page = client.get(url).content.decode()
        assert SECRET_KEY not in page and ACCESS_KEY not in page
        assert ACCESS_KEY[-4:] in page
    # Refused input is shown again, but never the keys.
    page = client.post(EDIT, form_data(bss_endpoint="ftp://x")).content.decode()
    assert SECRET_KEY not in page and ACCESS_KEY not in page


def test_a_plain_http_endpoint_is_refused_except_on_this_machine(client, cast):
    login(client, cast.admin)
    response = client.post(EDIT, form_data(iam_endpoint="http://iam.example.com"))
    assert response.status_code == 400
    assert "Use https" in response.content.decode()
    response = client.post(EDIT, form_data(iam_endpoint="http://127.0.0.1:8010"))
    assert response.status_code == 302


def test_posts_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    login(client, cast.admin)
    assert client.post(EDIT, form_data()).status_code == 403
    save_connection(cast)
    assert client.post(TEST).status_code == 403
    assert CloudConnection.objects.get().test_status == "untested"


def test_changing_asks_for_the_password_again_and_never_keeps_the_secret(client, cast, settings):
    # The password step-up of an admin without a second factor (with one, the factor is asked).
    settings.PORTAL_MFA_ENFORCE = False
    password_login(client, cast.admin)
    later = time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False)
    with later:
        assert step_up_target(client.get(EDIT)) == EDIT
        assert step_up_target(client.post(EDIT, form_data())) == EDIT
    assert not CloudConnection.objects.exists()
    for session in Session.objects.all():
        assert SECRET_KEY not in str(session.get_decoded())
        assert ACCESS_KEY not in str(session.get_decoded())


def test_the_test_button_queues_the_task_and_the_page_polls(
    client, cast, django_capture_on_commit_callbacks
):
    save_connection(cast)
    login(client, cast.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(TEST, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert len(callbacks) == 1  # the publish of the task, after the commit
    fragment = response.content.decode()
    assert 'data-status="testing"' in fragment and f'hx-get="{STATUS}"' in fragment
    assert CloudConnection.objects.get().test_status == "testing"
    assert 'data-status="testing"' in client.get(STATUS).content.decode()


def test_a_test_without_a_result_for_long_says_so(client, cast):
    save_connection(cast)
    login(client, cast.admin)
    client.post(TEST)
    assert "connection-test-overdue" not in client.get(STATUS).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        login(client, cast.admin)
        assert "connection-test-overdue" in client.get(STATUS).content.decode()


def test_the_test_button_without_a_connection_says_lnk_n006(client, cast):
    login(client, cast.admin)
    response = client.post(TEST, follow=True)
    assert "LNK-N006" in response.content.decode()


def test_the_page_reads_a_bounded_number_of_queries(client, cast, django_assert_num_queries):
    save_connection(cast)
    login(client, cast.admin)
    client.get(DETAIL)
    # session, user, membership with reseller, the connection with its last editor
    with django_assert_num_queries(5):
        assert client.get(DETAIL).status_code == 200


def test_the_secret_is_in_no_log_history_row_event_session_or_export(
    client, cast, cloud, settings, django_capture_on_commit_callbacks
):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    watched = [logging.getLogger(), *(logging.getLogger(n) for n in settings.LOGGING["loggers"])]
    levels = [logger.level for logger in watched]
    for logger in watched:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        account = cloud.control.create_account("northwind-partner")
        secrets = [account["secret_key"], account["access_key"]]
        settings.PORTAL_MFA_ENFORCE = False  # the password step-up, as above
        password_login(client, cast.admin)
        data = form_data(
            partner_domain_id=account["domain_id"],
            access_key=account["access_key"],
            secret_key=account["secret_key"],
            bss_endpoint=cloud.url,
            iam_endpoint=cloud.url,
            ecs_endpoint=cloud.url,
        )
        assert client.post(EDIT, data).status_code == 302
        with django_capture_on_commit_callbacks():
            client.post(TEST)
        connection = CloudConnection.objects.get()
        assert cloud_connection_test_task(connection.pk, connection.revision) == "ok"
        # A change of the key pair and of a name, then a refused save.
        rotated = cloud.control.create_account("northwind-second")
        secrets += [rotated["secret_key"], rotated["access_key"]]
        client.post(EDIT, {**data, "secret_key": rotated["secret_key"]})
        client.post(EDIT, {**data, "partner_account_name": "bad name!"})
        # A refused step-up with the secret in the form.
        with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
            refused = client.post(EDIT, {**data, "partner_account_name": "later"})
            assert "step-up" in refused["Location"], refused
    finally:
        for logger, level in zip(watched, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)

    sessions = [str(s.get_decoded()) for s in Session.objects.all()]
    link_csv = client.get(reverse("linking:link-export"))
    assert link_csv.status_code == 200
    login(client, cast.staff)
    export = client.get(
        reverse("admin:accounts_auditevent_export"), {"start": "2000-01-01", "end": "2999-12-31"}
    )
    trail_csv = b"".join(export.streaming_content).decode()
    assert "linking.cloudconnection" in trail_csv and "access key pair" in trail_csv
    opts = CloudConnection._meta
    admin_pages = [
        client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args))
        for view, args in (
            ("changelist", []),
            ("change", [connection.pk]),
            ("history", [connection.pk]),
        )
    ]
    assert all(page.status_code == 200 for page in admin_pages)
    history_rows = list(CloudConnection.history.values())
    assert len(history_rows) == 2
    everything = "\n".join(
        [
            *records,
            trail_csv,
            *(page.content.decode() for page in admin_pages),
            *(str(row) for row in history_rows),
            *(str(row) for row in AuditEvent.objects.values()),
            *sessions,
            b"".join(link_csv.streaming_content).decode()
            if link_csv.streaming
            else link_csv.content.decode(),
        ]
    )
    assert records  # the capture saw the requests and the task
    for secret in secrets:
        assert secret not in everything
    assert list(csv.reader(io.StringIO(trail_csv)))
