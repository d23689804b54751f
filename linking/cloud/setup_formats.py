"""The cloud-side setup as a Terraform file and as KooCLI commands, from `ItemSetup` alone.

Every value is quoted for its language where it is written (`hcl_string`, `shlex.quote`), and
comments hold one line of printable text: a reseller named `"; $(rm -rf ~)` or `${file("x")}`
stays a literal string in both outputs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from linking.cloud.setup import AgencySetup, ItemCleanup, ItemSetup

TERRAFORM_PROVIDER_SOURCE = "huaweicloud/huaweicloud"
# Where IAM calls go when a setup names no region (IAM is a global service).
DEFAULT_REGION = "ap-southeast-1"


def hcl_string(value: str) -> str:
    """A Terraform (HCL) quoted string holding exactly `value`: no interpolation, no escape."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    # "${" and "%{" start a template sequence; doubling the sign makes them literal.
    text = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


def hcl_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(hcl_string(v) for v in values) + "]"


def comment(text: str) -> str:
    """One line of printable text for a `#` comment (a newline would end the comment)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def resource_label(link_reference: str) -> str:
    """The label of a link's agency resource in the Terraform file."""
    label = re.sub(r"[^a-z0-9_]+", "_", link_reference.lower()).strip("_")
    return f"agency_{label}" if label else "agency"


def _resource_label(setup: ItemSetup) -> str:
    return resource_label(setup.link_reference)


AGENCY_RESOURCE = "huaweicloud_identity_agency"


def terraform_address(link_reference: str) -> str:
    """The address of a link's agency in the Terraform file (`terraform destroy -target=`)."""
    return f"{AGENCY_RESOURCE}.{resource_label(link_reference)}"


def _region(agency: AgencySetup) -> str:
    return agency.regions[0] if agency.regions else DEFAULT_REGION


def agency_setups(setups: Iterable[ItemSetup]) -> list[ItemSetup]:
    """The setups that create an agency (the others are done in the console)."""
    return [s for s in setups if s.ready and s.agency is not None]


def terraform(setups: Iterable[ItemSetup], *, title: str) -> str:
    """One Terraform file creating every agency of `setups`, applied as it is."""
    with_agency = agency_setups(setups)
    first = with_agency[0].agency if with_agency else None
    lines = [
        f"# {comment(title)}",
        "# Apply it as an administrator of your Huawei Cloud account, with that account's",
        "# access key in HW_ACCESS_KEY and HW_SECRET_KEY: terraform init, then terraform apply.",
        "# Validity periods are counted from the day this file was made: download it again",
        "# on the day you apply it.",
        "",
        "terraform {",
        "  required_providers {",
        "    huaweicloud = {",
        f"      source = {hcl_string(TERRAFORM_PROVIDER_SOURCE)}",
        "    }",
        "  }",
        "}",
        "",
        'provider "huaweicloud" {',
        f"  region = {hcl_string(_region(first) if first else DEFAULT_REGION)}",
        "}",
    ]
    for setup in with_agency:
        agency = setup.agency
        assert agency is not None  # agency_setups keeps only those
        lines += [
            "",
            f"# {comment(setup.link_type.capitalize() + ' ' + setup.link_reference)}",
            f'resource "{AGENCY_RESOURCE}" "{_resource_label(setup)}" {{',
            f"  name                  = {hcl_string(agency.name)}",
            f"  description           = {hcl_string(agency.description)}",
            f"  delegated_domain_name = {hcl_string(agency.trusted_domain_name)}",
            f"  duration              = {hcl_string(agency.duration.value)}",
        ]
        for project in agency.project_roles:
            lines += [
                "",
                "  project_role {",
                f"    project = {hcl_string(project.project)}",
                f"    roles   = {hcl_list(project.roles)}",
                "  }",
            ]
        if agency.domain_roles:
            lines += ["", f"  domain_roles = {hcl_list(agency.domain_roles)}"]
        lines.append("}")
    return "\n".join(lines) + "\n"


def terraform_filename(reference: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", reference).strip("-") or "setup"
    return f"{safe}-agencies.tf"


def _hcloud(operation: str, region: str, *params: str, query: str = "") -> str:
    parts = ["hcloud", "IAM", operation, f"--cli-region={shlex.quote(region)}", *params]
    if query:
        parts += [f"--cli-query={shlex.quote(query)}", "--cli-output=tsv"]
    return " ".join(parts)


def cli_commands(setup: ItemSetup) -> str:
    """KooCLI commands creating the agency of `setup`; "" when it creates none.

    The operations are IAM's API operations and the parameters their request fields (a dotted
    path into the body), as KooCLI takes them; `--cli-query` picks an id out of an answer for
    the next command.
    """
    agency = setup.agency
    if not setup.ready or agency is None:
        return ""
    region = _region(agency)
    q = shlex.quote
    lines = [
        f"# Agency {comment(agency.name)} for {comment(setup.link_reference)}: run as an "
        "administrator of your account.",
        "# The parameters are those of the IAM API operations; if your KooCLI version names",
        '# one differently, "hcloud IAM <operation> --help" shows it.',
        "set -eu",
        "DOMAIN_ID=$(" + _hcloud("KeystoneListAuthDomains", region, query="domains[0].id") + ")",
        "AGENCY_ID=$("
        + _hcloud(
            "CreateAgency",
            region,
            '--agency.domain_id="$DOMAIN_ID"',
            f"--agency.name={q(agency.name)}",
            f"--agency.trust_domain_name={q(agency.trusted_domain_name)}",
            f"--agency.duration={q(agency.duration.value)}",
            f"--agency.description={q(agency.description)}",
            query="agency.id",
        )
        + ")",
    ]
    role_ids: dict[str, str] = {}

    def role_id(role: str) -> str:
        if role not in role_ids:
            var = f"ROLE_{len(role_ids) + 1}"
            role_ids[role] = var
            lines.append(
                f"{var}=$("
                + _hcloud(
                    "KeystoneListPermissions",
                    region,
                    f"--display_name={q(role)}",
                    query="roles[0].id",
                )
                + ")"
            )
        return role_ids[role]

    for project in agency.project_roles:
        lines.append(
            "PROJECT_ID=$("
            + _hcloud(
                "KeystoneListProjects",
                region,
                '--domain_id="$DOMAIN_ID"',
                f"--name={q(project.project)}",
                query="projects[0].id",
            )
            + ")"
        )
        for role in project.roles:
            var = role_id(role)
            lines.append(
                _hcloud(
                    "AssociateAgencyWithProjectPermission",
                    region,
                    '--project_id="$PROJECT_ID"',
                    '--agency_id="$AGENCY_ID"',
                    f'--role_id="${var}"',
                )
            )
    for role in agency.domain_roles:
        var = role_id(role)
        lines.append(
            _hcloud(
                "AssociateAgencyWithDomainPermission",
                region,
                '--domain_id="$DOMAIN_ID"',
                '--agency_id="$AGENCY_ID"',
                f'--role_id="${var}"',
            )
        )
    return "\n".join(lines) + "\n"


def terraform_cleanup(cleanup: ItemCleanup) -> str:
    """What a customer who applied the Terraform file runs to remove the link's agency."""
    if not cleanup.has_agency:
        return ""
    address = terraform_address(cleanup.link_reference)
    return (
        "# In the folder where you applied the partner portal's Terraform file:\n"
        f"terraform destroy -target={shlex.quote(address)}\n"
        "# Or remove its resource block from the file and run: terraform apply\n"
        "# (terraform destroy alone removes every agency of that file.)\n"
    )


def cli_delete_commands(cleanup: ItemCleanup) -> str:
    """KooCLI commands deleting the link's agency; "" when the link has none."""
    if not cleanup.has_agency:
        return ""
    region = cleanup.regions[0] if cleanup.regions else DEFAULT_REGION
    q = shlex.quote
    return (
        "\n".join(
            [
                f"# Delete agency {comment(cleanup.agency_name)} of "
                f"{comment(cleanup.link_reference)}: run as an administrator of your account.",
                "set -eu",
                "DOMAIN_ID=$("
                + _hcloud("KeystoneListAuthDomains", region, query="domains[0].id")
                + ")",
                "AGENCY_ID=$("
                + _hcloud(
                    "ListAgencies",
                    region,
                    '--domain_id="$DOMAIN_ID"',
                    f"--name={q(cleanup.agency_name)}",
                    query="agencies[0].id",
                )
                + ")",
                _hcloud("DeleteAgency", region, '--agency_id="$AGENCY_ID"'),
            ]
        )
        + "\n"
    )
