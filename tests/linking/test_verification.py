"""The verification checklist against the sandbox cloud over HTTP (the real SDK): each link type
proven once the customer did their part in the cloud, each failure with its code and what to do,
least privilege, the evidence kept per check, and who may run the checks."""

import pytest
from django.db import transaction
from django.urls import reverse

from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.cloud.types import CloudCallInTransaction
from linking.models import VerificationRun
from portal.codes import CODES
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, login
from tests.journeys import active_link, awaiting_setup_link
from tests.linking.verification_helpers import REGION, change_cloud_side, delete_agency, verify

# Every test starts and ends without the cloud's keys of another test.
pytestmark = pytest.mark.usefixtures("fresh_credentials")

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

# OTHER: a region of the cloud the customer did not consent to.
SECOND, OTHER = "eu-west-101", "ap-southeast-2"
BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=[REGION])
MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="manage",
    duration_days=30,
)
CLOUD_CHECKS = ["program", "who_acts", "agency", "regions", "service:ECS", "other_regions", "write"]


def by_name(run) -> dict:
    return {check["name"]: check for check in run.checks}


def assert_fails(run, name, code):
    check = by_name(run)[name]
    assert (check["passed"], check["outcome"], check["code"]) == (False, "failed", code)
    assert (check["hint"], check["stage"]) == (CODES[code].hint, CODES[code].stage)
    assert run.outcome == VerificationRun.Outcome.FAILED
    return check


# --- each link type proven in the cloud -------------------------------------------------------


def test_read_only_delegation_is_proven_by_calls_to_the_cloud(cast, cloud, linked):
    link = linked()

    run = verify(link, actor=cast.viewer)

    assert run.outcome == VerificationRun.Outcome.PASSED
    assert [c["name"] for c in run.checks] == CLOUD_CHECKS
    assert all(c["passed"] and c["code"] == "" for c in run.checks)
    checks = by_name(run)
    assert "refused" in checks["write"]["detail"]
    link.refresh_from_db()
    assert (link.verification_status, link.verified_at) == ("passing", run.finished_at)
    row = link.history.first()
    assert (row.history_user, row.history_change_reason) == (
        cast.viewer,
        "verification passed (7 checks)",
    )


def test_every_check_keeps_its_calls_answers_and_times_without_secrets(cast, cloud, linked):
    link = linked()

    run = verify(link)

    connection_row = link.reseller.cloud_connection
    assert run.partner_domain_id == connection_row.partner_domain_id
    checks = by_name(run)
    operations = {
        name: [(e["operation"], e["answer"]) for e in checks[name]["evidence"]]
        for name in CLOUD_CHECKS
    }
    assert operations == {
        "program": [],
        "who_acts": [],
        "agency": [("CreateTemporaryAccessKeyByAgency", "allowed")],
        "regions": [("KeystoneListAuthProjects", "allowed")],
        "service:ECS": [("ListServersDetails", "allowed")],
        # No project outside the consented regions: the listing of the agency's projects is
        # the evidence, cited from the regions check and not counted as a second call.
        "other_regions": [("KeystoneListAuthProjects", "allowed")],
        "write": [("CreateServers (dry run)", "refused")],
    }
    assert checks["other_regions"]["evidence"][0]["same_as"] == "regions"
    assert run.cloud_calls == 4
    refused = checks["write"]["evidence"][0]
    assert (refused["status"], refused["error_code"], refused["code"]) == (
        403,
        "APIGW.0302",
        "LNK-G003",
    )
    assert refused["request_id"] and refused["where"] == f"region {REGION}"
    assert all(c["checked_at"] for c in run.checks)
    assert checks["regions"]["evidence"][0]["summary"] == f"projects: {REGION}"
    stored = str(run.checks)
    pair = connection_row.credentials_encrypted
    assert pair not in stored and "securitytoken" not in stored.lower()


def test_the_program_check_records_the_portal_rule_and_what_it_read(client, cast, cloud, linked):
    cast.reseller.allow_provisioning = False
    cast.reseller.save(update_fields=["allow_provisioning"])
    link = linked()

    run = verify(link)

    program = by_name(run)["program"]
    assert program["passed"] and program["evidence"] == []  # no call to the cloud
    rule = program["rule"]
    assert rule["source"] == "portal" and "no call to the cloud" in rule["statement"]
    assert rule["read"] == [
        {"what": "Partner program of Northwind Cloud (P-100001)", "value": "active"},
        {
            "what": "Link types the program allows",
            "value": "billing association, delegated administration",
        },
        {"what": f"Type of {link.reference}", "value": "delegated administration"},
    ]
    assert rule["at"] and rule["when"]
    # The rule is evidence, not a call: the counts are the cloud's calls alone.
    assert run.cloud_calls == 4
    login(client, cast.viewer)
    body = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert body.count('class="small verification-evidence"') == len(run.checks)
    assert "Evidence: the portal's own rule, no call to the cloud" in body
    assert "allows: <strong>billing association, delegated administration</strong>" in body


def test_a_program_that_no_longer_allows_the_link_type_says_what_it_read(cast, cloud, linked):
    link = linked()
    cast.reseller.allow_delegation = False
    cast.reseller.save(update_fields=["allow_delegation"])

    run = verify(link)

    program = assert_fails(run, "program", "LNK-P004")
    assert {
        "what": "Link types the program allows",
        "value": "billing association, service provisioning",
    } in (program["rule"]["read"])


def test_billing_is_proven_by_the_association(cast, cloud, linked):
    link = linked(BILLING)

    run = verify(link)

    assert [c["name"] for c in run.checks] == ["program", "association"]
    assert run.outcome == "passed"
    evidence = by_name(run)["association"]["evidence"]
    assert [(e["operation"], e["summary"]) for e in evidence] == [
        ("ListSubCustomers", "associated as resale")
    ]


def test_billing_without_the_association_fails_with_lnk_g001(cast, cloud, linked):
    link = linked(BILLING)
    partner = link.reseller.cloud_connection.partner_domain_id
    cloud.control.dissociate(partner, customer_domain_id(link.customer))

    check = assert_fails(verify(link), "association", "LNK-G001")

    assert customer_domain_id(link.customer) in check["detail"]
    assert check["stage"] == "propagation"


def test_billing_associated_for_consultative_sales_fails_with_lnk_g005(cast, cloud, linked):
    link = linked(BILLING)
    change_cloud_side(cast, cloud, link, association_type="1")

    check = assert_fails(verify(link), "association", "LNK-G005")

    assert "consultative sales, not as resale" in check["detail"]


def test_provisioning_is_allowed_its_dry_run_write(cast, cloud, linked):
    link = linked(PROVISIONING, customer=cast.customer2)

    run = verify(link)

    assert run.outcome == "passed"
    write = by_name(run)["write"]
    assert write["label"] == "A dry-run write is allowed (manage)"
    assert write["evidence"][0]["answer"] == "allowed"


def test_manage_delegation_is_allowed_its_dry_run_write(cast, cloud, linked):
    link = linked(MANAGE)

    run = verify(link)

    assert run.outcome == "passed"
    assert "is allowed (dry run, nothing created)" in by_name(run)["write"]["detail"]


def test_manage_delegation_with_a_read_only_agency_fails_the_write(cast, cloud, linked):
    link = linked(MANAGE)
    change_cloud_side(cast, cloud, link, roles={REGION: ["ECS ReadOnlyAccess"]})

    run = verify(link)

    assert_fails(run, "write", "LNK-G003")
    assert by_name(run)["service:ECS"]["passed"]


def test_a_service_without_a_probe_is_said_so_and_not_counted_as_proven(cast, cloud, linked):
    spec = ItemSpec(
        link_type="delegation",
        services=["ECS", "OBS"],
        regions=[REGION],
        access_level="read_only",
        duration_days=30,
    )
    link = linked(spec)

    run = verify(link)

    obs = by_name(run)["service:OBS"]
    assert (obs["passed"], obs["outcome"], obs["code"]) == (False, "unproven", "LNK-Y010")
    assert obs["detail"] == (
        "The portal has no read-only call to prove OBS: access to it is not proven."
    )
    assert run.outcome == "passed"  # nothing failed; the unproven part stays on the record


# --- what the customer has not done (yet) -------------------------------------------------------


def test_without_the_agency_only_the_agency_check_runs_and_fails(cast, cloud, linked):
    link = linked()
    delete_agency(cloud, link)

    run = verify(link)

    assert [c["name"] for c in run.checks] == ["program", "who_acts", "agency"]
    check = assert_fails(run, "agency", "LNK-G002")
    assert agency_name_for(link) in check["detail"]
    assert check["evidence"][0]["status"] == 404


def test_a_consented_region_without_roles_fails_with_lnk_g006(cast, cloud, linked):
    spec = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=[REGION, SECOND],
        access_level="read_only",
        duration_days=30,
    )
    link = linked(spec)
    change_cloud_side(cast, cloud, link, roles={REGION: ["ECS ReadOnlyAccess"]})

    check = assert_fails(verify(link), "regions", "LNK-G006")

    assert SECOND in check["detail"]


# --- least privilege ----------------------------------------------------------------------------


def test_a_read_only_link_whose_agency_grants_full_access_fails(cast, cloud, linked):
    link = linked()
    change_cloud_side(cast, cloud, link, roles={REGION: ["ECS FullAccess"]})

    run = verify(link)

    check = assert_fails(run, "write", "LNK-Y009")
    assert "although only read-only access was consented" in check["detail"]
    assert check["evidence"][0]["answer"] == "allowed"
    assert by_name(run)["service:ECS"]["passed"]


def test_an_agency_that_works_in_a_region_not_consented_fails(cast, cloud, linked):
    link = linked()
    change_cloud_side(
        cast,
        cloud,
        link,
        roles={REGION: ["ECS ReadOnlyAccess"], OTHER: ["ECS ReadOnlyAccess"]},
    )

    check = assert_fails(verify(link), "other_regions", "LNK-Y008")

    assert OTHER in check["detail"]
    assert [(e["operation"], e["where"]) for e in check["evidence"]] == [
        ("ListServersDetails", f"region {OTHER}")
    ]


def test_a_region_listed_but_refused_passes_least_privilege(cast, cloud, linked):
    link = linked()
    change_cloud_side(
        cast, cloud, link, roles={REGION: ["ECS ReadOnlyAccess"], OTHER: ["OBS ReadOnlyAccess"]}
    )

    run = verify(link)

    other = by_name(run)["other_regions"]
    assert other["passed"] and other["evidence"][0]["answer"] == "refused"
    assert run.outcome == "passed"


def test_credentials_broadened_by_the_cloud_fail_least_privilege(cast, cloud, linked):
    link = linked()
    cloud.control.add_fault("CreateTemporaryAccessKeyByAgency", "broaden", times=1)
    forget_cached_credentials()  # the next keys are the broadened ones

    run = verify(link)

    assert_fails(run, "other_regions", "LNK-Y008")
    assert_fails(run, "write", "LNK-Y009")


# --- no connection, no transaction ---------------------------------------------------------------


def test_a_reseller_without_a_cloud_connection_passes_nothing(cast, capture):
    with capture():
        link = awaiting_setup_link(cast)

    run = verify(link)

    check = assert_fails(run, "cloud_connection", "LNK-Y007")
    assert [c["name"] for c in run.checks] == ["program", "who_acts", "cloud_connection"]
    assert cast.reseller.name in check["detail"] and link.reference in check["detail"]
    assert (run.partner_domain_id, run.cloud_calls) == ("", 0)
    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("awaiting_setup", "failing")


def test_verification_inside_a_transaction_is_refused(cast, cloud, linked):
    link = linked()
    with transaction.atomic(), pytest.raises(CloudCallInTransaction):
        verify(link)
    assert link.verification_runs.count() == 1


def test_someone_outside_the_reseller_cannot_run_the_checks(cast, capture):
    with capture():
        link = active_link(cast)
    with pytest.raises(PortalError) as refused:
        verify(link, actor=cast.outsider)
    assert refused.value.code == "LNK-V013"
    assert link.verification_runs.count() == 1  # the setup check that made it active
