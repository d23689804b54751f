"""The setup as a Terraform file and as KooCLI commands: exact text, and values that stay values."""

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linking.cloud.setup import ConsentedItem, PartnerAccount, derive_setup
from linking.cloud.setup_formats import (
    cli_commands,
    comment,
    hcl_string,
    terraform,
    terraform_filename,
)

EXPECTED = Path(__file__).parent / "expected"
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
PARTNER = PartnerAccount(
    partner_id="P-100001",
    partner_name="Northwind Cloud",
    domain_name="northwind-partner",
    domain_id="0123456789abcdef0123456789abcdef",
    invitation_url="https://x/",
)
TITLE = "Agencies for Northwind Cloud (P-100001), receipt RC-000007-ABC123, made 2026-12-06"
# What a hostile or careless reseller name can hold: quotes of both kinds, command and template
# substitutions, backticks, a backslash, a newline that would end a comment.
EVIL = 'Evil" Co\'; $(touch {marker}) `touch {marker}` ${{file("/etc/passwd")}} %{{if x}}\\\n# x'


def _delegation(partner=PARTNER):
    consented = ConsentedItem(
        "delegation",
        "LK-000042",
        ("ECS", "OBS"),
        ("ap-southeast-1", "eu-west-101"),
        "read_only",
        NOW + timedelta(days=90),
    )
    return derive_setup(consented, partner=partner, now=NOW)


def _provisioning():
    consented = ConsentedItem(
        "provisioning", "LK-000043", ("ECS", "VPC"), ("ap-southeast-3",), "", None
    )
    return derive_setup(consented, partner=PARTNER, now=NOW)


def _billing():
    consented = ConsentedItem("billing", "LK-000041", (), (), "", None)
    return derive_setup(consented, partner=PARTNER, now=NOW)


def test_the_terraform_file_is_exactly_the_expected_one():
    text = terraform([_billing(), _delegation(), _provisioning()], title=TITLE)
    assert text == (EXPECTED / "agencies.tf").read_text()


def test_the_cli_commands_are_exactly_the_expected_ones():
    assert cli_commands(_delegation()) == (EXPECTED / "delegation-koocli.sh").read_text()


def test_billing_and_unready_setups_have_no_commands_and_no_resource():
    assert cli_commands(_billing()) == ""
    text = terraform([_billing()], title=TITLE)
    assert "resource" not in text


def test_the_terraform_filename_is_safe():
    assert terraform_filename("RC-000007-ABC123") == "RC-000007-ABC123-agencies.tf"
    assert terraform_filename('RC"; rm -rf /') == "RC-rm--rf-agencies.tf"


# --- escaping ---------------------------------------------------------------------------------

_HCL_STRING = re.compile(
    r'"((?:[^"\\$%\n]|\\["\\nrt]|\\u[0-9a-f]{4}|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*)"'
)


def _hcl_decode(body: str) -> str:
    """What Terraform reads from the inside of a quoted string (the escapes `hcl_string` uses)."""
    out, i = [], 0
    simple = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1] == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
            else:
                out.append(simple[body[i + 1]])
                i += 2
        elif body.startswith(("$${", "%%{"), i):
            out.append(body[i + 1 : i + 3])
            i += 3
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " and backslash \\',
        "${var.x} and %{ if true }yes%{ endif }",
        "$${already} $ % {}",
        "new\nline\ttab\rcr \x00\x1f\x7f \u2028",
        EVIL,
    ],
)
def test_a_terraform_string_holds_exactly_the_value(value):
    quoted = hcl_string(value)
    match = _HCL_STRING.fullmatch(quoted)
    assert match, quoted
    assert _hcl_decode(match.group(1)) == value
    assert "\n" not in quoted


def test_a_hostile_reseller_name_stays_a_value_in_the_terraform_file():
    evil = PartnerAccount(
        partner_id='P-1"}',
        partner_name=EVIL.format(marker="/tmp/x"),
        domain_name='north"wind',
        domain_id=PARTNER.domain_id,
        invitation_url="",
    )
    setup = _delegation(evil)
    text = terraform([setup], title="Agencies for " + EVIL.format(marker="/tmp/x"))

    lines = text.splitlines()
    # The title's newline did not end its comment: the next line is the file's own.
    assert lines[0].startswith("# Agencies for Evil")
    assert lines[1].startswith("# Apply it as an administrator")
    description = next(line for line in lines if line.lstrip().startswith("description"))
    body = _HCL_STRING.search(description)
    assert body and _hcl_decode(body.group(1)) == setup.agency.description
    assert f"delegated_domain_name = {hcl_string(chr(110) + 'orth' + chr(34) + 'wind')}" in text
    # Every string of the file is a whole HCL string: nothing interpolates, nothing breaks out.
    for line in lines:
        if "=" in line and not line.startswith("#"):
            value = line.split("=", 1)[1].strip()
            if value.startswith('"'):
                assert _HCL_STRING.fullmatch(value), line


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_hostile_reseller_name_stays_one_argument_in_the_commands(tmp_path):
    marker = tmp_path / "pwned"
    evil = PartnerAccount(
        partner_id="P-1",
        partner_name=EVIL.format(marker=marker),
        domain_name="north'wind $(touch " + str(marker) + ")",
        domain_id=PARTNER.domain_id,
        invitation_url="",
    )
    setup = _delegation(evil)
    script = cli_commands(setup)
    log = tmp_path / "calls"
    # A stand-in for KooCLI that records its arguments, NUL-separated, one call per line.
    fake = (
        'hcloud() { for a in "$@"; do printf "%s\\0" "$a"; done >> "$LOG"; echo >> "$LOG"; '
        "echo fake-id; }\n"
    )
    result = subprocess.run(  # noqa: S603 - bash on our own generated text
        ["bash", "-c", fake + script],  # noqa: S607
        env={**os.environ, "LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    calls = [line.split("\0")[:-1] for line in log.read_text().split("\0\n") if line]
    create = next(call for call in calls if call[:2] == ["IAM", "CreateAgency"])
    assert f"--agency.description={setup.agency.description}" in create
    assert f"--agency.trust_domain_name={evil.domain_name}" in create
    assert "--agency.domain_id=fake-id" in create
    grants = [call for call in calls if call[1].startswith("AssociateAgencyWith")]
    assert len(grants) == 3  # ECS in two projects, OBS globally
    assert all("--agency_id=fake-id" in call for call in grants)


def test_a_comment_is_one_printable_line():
    assert comment("a\nb\r\tc\x00d  e") == "a b c d e"
