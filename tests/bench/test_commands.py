import os
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Reseller
from linking.models import CustomerAccount, LinkRequest, Notification

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def run(name: str, *args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def figure(output: str, label: str) -> float:
    match = re.search(rf"{label}: ([0-9.]+)", output)
    assert match, f"no {label!r} in {output!r}"
    return float(match.group(1))


@pytest.mark.django_db
def test_expiry_benchmark_expires_every_request_and_rolls_back(django_db_blocker):
    before = LinkRequest.history.count()
    output = run("bench_expiry_sweep", "--count", "20", "--batch-size", "7", "--allow-sqlite")
    assert figure(output, "requests expired") == 20
    assert figure(output, "notifications written") == 20
    assert "history rows written: 20 (requests) + 20 (items) + 20 (notices)" in output
    assert figure(output, "queries per batch") > 0
    assert "rolled back" in output
    assert not LinkRequest.objects.exists()
    assert not Reseller.objects.exists()
    assert not CustomerAccount.objects.exists()
    assert LinkRequest.history.count() == before


@pytest.mark.django_db
def test_expiry_benchmark_keeps_its_data_when_asked():
    output = run("bench_expiry_sweep", "--count", "3", "--keep", "--allow-sqlite")
    assert "kept" in output
    assert LinkRequest.objects.filter(status=LinkRequest.Status.EXPIRED).count() == 3
    assert Notification.objects.filter(kind=Notification.Kind.REQUEST_EXPIRED).count() == 3


@pytest.mark.django_db
@pytest.mark.skipif(ON_POSTGRES, reason="the refusal is for SQLite")
def test_expiry_benchmark_refuses_sqlite_without_the_flag():
    assert connection.vendor == "sqlite"
    with pytest.raises(CommandError, match="PostgreSQL"):
        run("bench_expiry_sweep", "--count", "1")


@pytest.mark.django_db
@pytest.mark.skipif(ON_POSTGRES, reason="the refusal is for SQLite")
def test_delivery_benchmark_refuses_sqlite(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(CommandError, match="PostgreSQL"):
        run("bench_consent_delivery", "--count", "1")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_delivery_benchmark_delivers_each_email_once_and_cleans_up():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: the benchmark needs a real Redis broker")
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark's worker shares a PostgreSQL database")
    output = run("bench_consent_delivery", "--count", "20", "--pool", "solo", "--timeout", "60")
    assert figure(output, "e-mails delivered") == 20
    assert figure(output, "duplicates") == 0
    assert figure(output, "e-mails/second") > 0
    assert not LinkRequest.objects.exists()
    assert not Notification.objects.exists()
    assert not Reseller.objects.exists()
    assert not Notification.history.exists()
    assert not LinkRequest.history.exists()


@pytest.mark.django_db
def test_batch_benchmark_runs_both_sizes_with_flat_queries_per_row_and_cleans_up():
    from linking.models import Batch, BatchRow, RequestItem

    history_before = LinkRequest.history.count()
    output = run("bench_batch", "--size", "40", "--allow-sqlite")
    assert figure(output, r"dry run \(40\) rows") == 40
    assert figure(output, r"run \(40\) rows") == 40
    assert figure(output, r"run \(2\) rows") == 2
    assert figure(output, "peak traced memory MB") >= 0
    assert figure(output, r"peak process memory \(ru_maxrss\) MB") > 0
    # Per row the run costs no more at ten times the size (its fixed part spreads thinner);
    # the dry run's queries do not grow with the rows at all.
    small = re.search(r"^run \(2\) rows: 2; .*?queries/row: ([0-9.]+)", output, re.M).group(1)
    large = re.search(r"^run \(40\) rows: 40; .*?queries/row: ([0-9.]+)", output, re.M).group(1)
    assert float(large) <= float(small)
    assert figure(output, "queries per extra row, run") > 0
    assert figure(output, "queries per extra row, dry run") == 0
    dry_small = re.search(r"dry run \(2\) rows: 2; .*?queries: ([0-9]+)", output).group(1)
    dry_large = re.search(r"dry run \(40\) rows: 40; .*?queries: ([0-9]+)", output).group(1)
    assert dry_small == dry_large
    assert "data deleted" in output
    assert not LinkRequest.objects.exists()
    assert not Reseller.objects.exists()
    assert not Batch.objects.exists() and not BatchRow.objects.exists()
    assert not RequestItem.objects.exists() and not Notification.objects.exists()
    assert not CustomerAccount.objects.exists()
    assert LinkRequest.history.count() == history_before
    assert not Batch.history.exists() and not Notification.history.exists()
