"""Operability in one process: readiness, the worker's check command, /metrics (protected, and
moved by a journey), JSON log lines with the request id, user and reseller, and the request id on
the outbox rows the request writes."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from linking.models import Link, Notification
from portal import health
from portal.logconfig import ContextFilter, JsonFormatter
from tests.conftest import login, make_draft, read_only_delegation, submit
from tests.factories import CustomerFactory
from tests.journeys import active_link

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-the-tests-0123456789"
CLOSED_REDIS = "redis://127.0.0.1:1/0"


# --- readiness -----------------------------------------------------------------------------------


def test_healthz_is_alive_without_io(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_is_ready_when_every_part_serves(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    (tmp_path / "celery" / "queue").mkdir(parents=True)
    settings.CELERY_FS_DIR = tmp_path / "celery"
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_redis_when_it_does_not_answer(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.REDIS_URL = CLOSED_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    # Up or down and the part's name: no error text, address or version for an anonymous caller.
    assert response.json() == {"status": "unavailable", "failing": ["redis"]}


def test_readyz_names_the_var_directory_when_it_cannot_be_written(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "missing"
    settings.REDIS_URL = ""
    settings.CELERY_FS_DIR = tmp_path / "celery-missing"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis", "var_dir"]


def test_readyz_names_the_migrations_when_some_are_not_applied(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.REDIS_URL = ""
    (tmp_path / "celery" / "queue").mkdir(parents=True)
    settings.CELERY_FS_DIR = tmp_path / "celery"
    health._migrated.clear()
    from django.db.migrations.recorder import MigrationRecorder

    MigrationRecorder.Migration.objects.filter(app="linking").order_by("-id").first().delete()
    try:
        response = client.get("/readyz")
        assert response.json() == {"status": "unavailable", "failing": ["migrations"]}
    finally:
        health._migrated.clear()


def test_the_worker_check_command(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.REDIS_URL = ""
    (tmp_path / "celery" / "queue").mkdir(parents=True)
    settings.CELERY_FS_DIR = tmp_path / "celery"
    out = io.StringIO()
    call_command("check_ready", stdout=out)
    assert out.getvalue().strip() == "ready"
    settings.REDIS_URL = CLOSED_REDIS
    with pytest.raises(CommandError, match="not ready: redis"):
        call_command("check_ready")


# --- metrics -------------------------------------------------------------------------------------


def scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return sum(
        v for key, v in samples.get(name, {}).items() if all((k, labels[k]) in key for k in labels)
    )


@override_settings(PORTAL_METRICS_TOKEN=TOKEN, PORTAL_METRICS_ALLOWED_NETWORKS=[])
def test_metrics_answer_only_the_scraper(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@override_settings(PORTAL_METRICS_TOKEN="", PORTAL_METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_metrics_answer_an_allowed_network_only(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@override_settings(PORTAL_METRICS_TOKEN="", PORTAL_METRICS_ALLOWED_NETWORKS=[])
def test_metrics_answer_nobody_by_default(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@override_settings(PORTAL_METRICS_TOKEN=TOKEN, PORTAL_METRICS_CACHE_SECONDS=0)
def test_a_journey_moves_the_metrics(cast, cloud, client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = scrape(client, **auth)
    login(client, cast.initiator)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    link = active_link(cast, cloud=cloud)
    assert link.status == Link.Status.ACTIVE
    from linking.tasks import notification_sweep_task

    notification_sweep_task.apply()
    after = scrape(client, **auth)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # Requests by view and status (django-prometheus), state read on scrape, events counted.
    assert moved("django_http_responses_total_by_status_view_method_total", status="200") >= 1
    assert value(after, "portal_links", state="active") >= 1
    assert value(after, "portal_requests", status="completed", waiting_on="") >= 1
    assert moved("portal_verifications_total", outcome="passed") >= 1
    assert moved("portal_cloud_call_seconds_count", provider="huaweicloud", outcome="ok") >= 1
    assert moved("portal_task_seconds_count", task="notification_sweep_task") == 1
    assert "portal_outbox_oldest_age_seconds" in after
    assert (
        value(after, "portal_outbox_rows", state="queued")
        == Notification.objects.filter(status="queued").count()
    )


def test_the_state_costs_the_same_queries_at_two_sizes(cast, django_assert_max_num_queries):
    from portal.metrics import _state

    with django_assert_max_num_queries(6):
        _state()
    for _ in range(3):
        customer = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
        submit(cast, make_draft(cast, customer=customer, specs=[read_only_delegation(cast)]))
    with django_assert_max_num_queries(6):
        _state()


# --- logs and the request id ---------------------------------------------------------------------


@pytest.fixture
def json_lines():
    """The JSON lines the production handler writes, captured for the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)


def test_a_request_id_from_outside_is_not_believed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "a" * 32})
    assert response["X-Request-ID"]
    assert response["X-Request-ID"] != "a" * 32


@override_settings(PORTAL_BEHIND_PROXY=True)
def test_the_proxys_request_id_names_the_request(client):
    given = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given


def test_log_lines_carry_request_user_reseller_and_the_outbox_row_the_id(cast, client, json_lines):
    login(client, cast.initiator)
    req = make_draft(cast, specs=[read_only_delegation(cast)])
    response = client.post(reverse("linking:request-submit", args=[req.pk]))
    assert response.status_code in (200, 302)
    request_id = response["X-Request-ID"]
    notification = Notification.objects.filter(request=req).latest("id")
    assert notification.correlation_id == request_id
    logging.getLogger("linking.test").info("after the request")
    lines = json_lines()
    assert {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "reseller",
        "task_id",
    } <= set(lines[-1])
    assert lines[-1]["level"] == "INFO"
    assert lines[-1]["time"].endswith("+00:00")


def test_a_line_written_during_a_request_names_it(cast, client, json_lines, settings):
    settings.ROOT_URLCONF = "tests.portal.ops_urls"
    login(client, cast.initiator)
    response = client.get("/log-something/")
    line = next(line for line in json_lines() if line["message"] == "something happened")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == str(cast.initiator.pk)
    assert line["reseller"] == str(cast.reseller.pk)


def test_json_lines_never_carry_a_token(json_lines):
    request = type("Request", (), {"__str__": lambda self: "<WSGIRequest: GET '/consent/tok123/'>"})
    logging.getLogger("django.request").warning(
        "Forbidden: /consent/secret-token-value/", extra={"request": request()}
    )
    text = json.dumps(json_lines())
    assert "secret-token-value" not in text
    assert "tok123" not in text
    assert "/consent/[redacted]/" in text
