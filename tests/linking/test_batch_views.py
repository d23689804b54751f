"""Batch pages: who may see and do what, upload to report to confirm to progress to result,
query budgets, and arbitrary uploads never giving a server error or a partial write."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linking import services
from linking.models import Batch, BatchRow, LinkRequest
from tests.conftest import cast_shared_by_the_module, login
from tests.linking.batch_helpers import csv_bytes, line, upload

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def url(name, batch=None):
    return reverse(f"linking:{name}", args=[batch.pk] if batch else [])


def post_file(client, data: bytes, name="rows.csv"):
    return client.post(url("batch-upload"), {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def batch(cast):
    return upload(cast, csv_bytes(line("k1", cast.customer.account_id), line("k2", "not-an-id")))


def test_it_sends_anonymous_users_to_the_login_page(client, db):
    for name in ("batch-list", "batch-upload", "batch-template-csv"):
        response = client.get(url(name))
        assert response.status_code == 302
        assert "/login/" in response.url


def test_another_resellers_batch_is_a_404(client, cast, batch):
    login(client, cast.outsider_admin)
    for name in ("batch-detail", "batch-progress", "batch-result-csv"):
        assert client.get(url(name, batch)).status_code == 404
    for name in ("batch-confirm", "batch-retry"):
        assert client.post(url(name, batch)).status_code == 404
    assert not LinkRequest.objects.exists()


def test_a_viewer_reads_batches_but_cannot_upload_or_confirm(client, cast, batch):
    login(client, cast.viewer)
    assert client.get(url("batch-list")).status_code == 200
    assert client.get(url("batch-detail", batch)).status_code == 200
    assert client.get(url("batch-upload")).status_code == 403
    assert post_file(client, csv_bytes(line("k", cast.customer.account_id))).status_code == 403
    assert client.post(url("batch-confirm", batch)).status_code == 403
    assert client.post(url("batch-retry", batch)).status_code == 403
    assert client.get(url("batch-template-csv")).status_code == 403
    assert Batch.objects.count() == 1


def test_the_upload_page_documents_the_columns_and_links_the_template(client, cast):
    login(client, cast.initiator)
    page = client.get(url("batch-upload")).text
    assert 'id="batch-columns"' in page and "<code>delegation_access</code>" in page
    assert url("batch-template-csv") in page
    template = client.get(url("batch-template-csv"))
    assert template["Content-Type"].startswith("text/csv")
    header = template.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("key,account_id,account_name,link_types,")


def test_the_request_list_and_the_nav_link_to_batches(client, cast):
    login(client, cast.initiator)
    page = client.get(reverse("linking:request-list")).text
    assert url("batch-upload") in page and url("batch-list") in page


def test_upload_shows_the_dry_run_report_and_creates_nothing(client, cast):
    login(client, cast.initiator)
    response = post_file(
        client, csv_bytes(line("k1", cast.customer.account_id), line("k2", "not-an-id"))
    )
    batch = Batch.objects.get()
    assert response.status_code == 302 and response.url == url("batch-detail", batch)
    page = client.get(response.url).text
    assert 'data-total="rows">2<' in page and 'data-total="invalid">1<' in page
    assert 'data-code="LNK-V001"' in page
    assert "nothing has been created" in page
    assert 'id="batch-confirm"' in page
    assert not LinkRequest.objects.exists()
    filtered = client.get(url("batch-detail", batch), {"outcome": "invalid"}).text
    assert 'data-row="3"' in filtered and 'data-row="2"' not in filtered


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"key,note\nk,x\n", "rows.csv", "LNK-B003"),
        (b"%PDF-1.7\n\x00\xff\xfe", "rows.pdf", "LNK-B002"),
        (b"key,account_id,link_types\n", "rows.csv", "LNK-B005"),
        (b"plain text", "rows.xlsx", "LNK-B002"),
    ],
)
def test_a_refused_file_says_why_and_stores_nothing(client, cast, data, name, code):
    login(client, cast.initiator)
    response = post_file(client, data, name)
    assert response.status_code == 400
    assert f'data-code="{code}"' in response.text
    assert not Batch.objects.exists()


def test_no_file_and_a_huge_file_are_refused(client, cast, settings):
    login(client, cast.initiator)
    response = client.post(url("batch-upload"), {})
    assert response.status_code == 400 and 'data-code="LNK-B022"' in response.text
    settings.PORTAL_BATCH_MAX_BYTES = 1000
    response = post_file(client, b"key,account_id,link_types\n" + b"k,1,billing\n" * 200)
    assert response.status_code == 400 and 'data-code="LNK-B001"' in response.text
    assert not Batch.objects.exists()


def test_confirm_needs_a_post_with_the_csrf_token(cast, batch):
    client = login(Client(enforce_csrf_checks=True), cast.initiator)
    assert client.get(url("batch-confirm", batch)).status_code == 405
    assert client.post(url("batch-confirm", batch)).status_code == 403
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CHECKED


def test_confirm_queues_the_run_and_the_progress_fragment_polls_until_done(
    client, cast, batch, django_capture_on_commit_callbacks
):
    login(client, cast.initiator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("batch-confirm", batch))
    assert response.status_code == 302
    assert len(callbacks) == 1
    fragment = client.get(url("batch-progress", batch)).text
    assert 'hx-trigger="every 1s"' in fragment and 'data-status="queued"' in fragment
    assert 'id="batch-progress"' in client.get(url("batch-detail", batch)).text
    services.batch_run(batch_id=batch.pk)
    fragment = client.get(url("batch-progress", batch)).text
    assert "hx-trigger" not in fragment  # done: the polling stops
    assert 'data-percent="100"' in fragment and "1 created" in fragment
    page = client.get(url("batch-detail", batch)).text
    assert "<script>" not in page and 'data-outcome="created"' in page
    # Confirming again is refused with a message, not an error page.
    response = client.post(url("batch-confirm", batch), follow=True)
    assert "LNK-B020" in response.text
    assert LinkRequest.objects.count() == 1


def test_the_result_downloads_as_csv(client, cast, batch):
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    services.batch_run(batch_id=batch.pk)
    login(client, cast.viewer)
    response = client.get(url("batch-result-csv", batch))
    assert response["Content-Type"].startswith("text/csv")
    assert f"{batch.reference}-result.csv" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    request = LinkRequest.objects.get()
    assert lines[0] == (
        "row,key,account_id,outcome,request,codes,messages,"
        "links,link_status,setup,verification,last_verified"
    )
    assert lines[1].startswith(f"2,k1,{cast.customer.account_id},created,{request.reference},")
    assert lines[2].startswith("3,k2,not-an-id,invalid,,LNK-V001,")


def test_retry_runs_the_failed_rows_again(client, cast, django_capture_on_commit_callbacks):
    from linking.services import customer_set_status

    batch = upload(cast, csv_bytes(line("k1", cast.customer.account_id)))
    customer_set_status(actor=None, customer_id=cast.customer.pk, status="frozen")
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    services.batch_run(batch_id=batch.pk)
    customer_set_status(actor=None, customer_id=cast.customer.pk, status="active")
    login(client, cast.initiator)
    assert 'id="batch-retry"' in client.get(url("batch-detail", batch)).text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("batch-retry", batch))
    assert response.status_code == 302
    # The memory broker of the tests holds the task; the run is the service's.
    services.batch_run(batch_id=batch.pk)
    assert BatchRow.objects.get().outcome == BatchRow.Outcome.CREATED


def _batches(cast, n):
    for i in range(n):
        upload(cast, csv_bytes(line(f"list-{n}-{i}", cast.customer.account_id)))


@pytest.mark.parametrize("n", [1, 6])
def test_the_batch_list_query_budget_does_not_grow(client, cast, n, django_assert_num_queries):
    _batches(cast, n)
    login(client, cast.initiator)
    client.get(url("batch-list"))  # warm caches
    # session, user, membership with role permissions, count, page of batches with users
    with django_assert_num_queries(5):
        response = client.get(url("batch-list"))
    assert response.text.count("LB-") >= n


@pytest.mark.parametrize("n", [2, 30])
def test_the_batch_report_query_budget_does_not_grow(client, cast, n, django_assert_num_queries):
    batch = upload(cast, csv_bytes(*[line(f"d-{i}", cast.customer.account_id) for i in range(n)]))
    login(client, cast.initiator)
    client.get(url("batch-detail", batch))
    # session, user, membership with role permissions, batch, row count, page of rows
    with django_assert_num_queries(6):
        client.get(url("batch-detail", batch))


# --- Property test: the upload endpoint never answers 500 nor writes half a batch --------


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=1500),
        st.text(max_size=600).map(lambda t: ("key,account_id,link_types\n" + t).encode()),
    ),
    name=st.sampled_from(["rows.csv", "rows.xlsx", "", "../../etc/passwd", "x" * 300]),
)
def test_arbitrary_uploads_never_fail_nor_write_half_a_batch(client, cast, data, name):
    login(client, cast.initiator)
    before = Batch.objects.count()
    response = client.post(url("batch-upload"), {"file": SimpleUploadedFile(name or "f", data)})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        batch = Batch.objects.latest("id")
        assert batch.rows.count() == batch.total_rows > 0
    else:
        assert Batch.objects.count() == before
    assert not LinkRequest.objects.exists()
