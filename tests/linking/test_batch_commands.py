"""The batch_import and directory_import commands: dry run, run, summary and result file."""

import pytest
from django.core.management import CommandError, call_command

from linking.models import Batch, CustomerAccount, LinkRequest
from tests.linking.batch_helpers import csv_bytes, line

# The account the directory import creates.
SCRIPTED = "5555" + "1111" + "0" * 23 + "1"


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def batch_file(cast, tmp_path):
    path = tmp_path / "onboarding.csv"
    path.write_bytes(
        csv_bytes(line("c1", cast.customer.account_id), line("c2", cast.frozen.account_id))
    )
    return path


def args(cast, path, *extra):
    return [
        "batch_import",
        "--reseller",
        cast.reseller.partner_id,
        "--user",
        cast.initiator.email,
        "--file",
        str(path),
        *extra,
    ]


def test_batch_dry_run_reports_and_creates_nothing(cast, batch_file, tmp_path):
    result = tmp_path / "result.csv"
    output = run(*args(cast, batch_file, "--dry-run", "--result", str(result)))
    assert "checked: 2 rows, 1 ready, 1 refused, 0 already done, 0 created" in output
    assert not LinkRequest.objects.exists()
    lines = result.read_text().splitlines()
    assert lines[1].startswith("2,c1,") and ",pending," in lines[1]
    assert "LNK-V003" in lines[2]


def test_batch_run_creates_the_valid_rows_once(cast, batch_file, tmp_path):
    result = tmp_path / "result.csv"
    output = run(*args(cast, batch_file, "--result", str(result)))
    assert "done: 2 rows, 1 ready, 1 refused, 0 already done, 1 created, 0 failed" in output
    request = LinkRequest.objects.get()
    assert f"created,{request.reference}" in result.read_text()
    output = run(*args(cast, batch_file))
    assert "1 already done, 0 created" in output
    assert LinkRequest.objects.count() == 1
    assert Batch.objects.count() == 2


def test_batch_command_refusals_are_command_errors(cast, batch_file, tmp_path):
    with pytest.raises(CommandError, match="No reseller"):
        run("batch_import", "--reseller", "P-0", "--user", "x", "--file", str(batch_file))
    with pytest.raises(CommandError, match="LNK-V013"):
        run(
            "batch_import",
            "--reseller",
            cast.reseller.partner_id,
            "--user",
            cast.viewer.email,
            "--file",
            str(batch_file),
        )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01")
    with pytest.raises(CommandError, match="LNK-B002"):
        run(*args(cast, bad))
    assert not Batch.objects.exists()


def test_directory_import_command(cast, tmp_path):
    path = tmp_path / "directory.csv"
    path.write_text(
        "account_id,display_name,regions\n"
        "5555-1111-0000-0000-0000-0000-0000-0001,Scripted Ltd,ap-southeast-1\nbad,X,\n"
    )
    result = tmp_path / "result.csv"
    output = run("directory_import", "--user", cast.staff.email, "--file", str(path), "--dry-run")
    assert "1 to create, 0 to update, 0 unchanged, 1 refused" in output
    assert not CustomerAccount.objects.filter(account_id=SCRIPTED).exists()
    output = run(
        "directory_import",
        "--user",
        cast.staff.email,
        "--file",
        str(path),
        "--result",
        str(result),
    )
    assert "1 created, 0 updated" in output
    assert CustomerAccount.objects.filter(account_id=SCRIPTED).exists()
    assert "LNK-D001" in result.read_text()
    with pytest.raises(CommandError, match="LNK-V013"):
        run("directory_import", "--user", cast.auditor.email, "--file", str(path))
