from accounts.models import Reseller
from linking import checks, services
from linking.checks import ItemSpec
from linking.models import CustomerAccount, Link
from tests.conftest import (
    cast_shared_by_the_module,
    consent_token_for,
    make_draft,
    read_only_delegation,
    submit,
)
from tests.factories import RegionFactory
from tests.journeys import activate

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")


def provisioning(**overrides) -> ItemSpec:
    fields = {"services": ["ECS"], "regions": ["ap-southeast-1"]}
    return ItemSpec(link_type="provisioning", **{**fields, **overrides})


def delegation(**overrides) -> ItemSpec:
    fields = {
        "services": ["ECS"],
        "regions": ["ap-southeast-1"],
        "access_level": "read_only",
        "duration_days": 90,
    }
    return ItemSpec(link_type="delegation", **{**fields, **overrides})


def dry_run(cast, *, actor=None, reseller=None, account_id=None, items=None, consent_days=None):
    _, reasons = checks.dry_run(
        actor=actor or cast.initiator,
        reseller=reseller or cast.reseller,
        account_id=cast.customer.account_id if account_id is None else account_id,
        items=[delegation()] if items is None else items,
        consent_days=consent_days,
    )
    return reasons


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def make_other_reseller_billing_partner(cast, customer: CustomerAccount) -> Link:
    """The other reseller's full journey: draft, submit, approval, consent and activation."""
    req = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    services.link_request_set_types(actor=cast.outsider, request_id=req.pk, link_types=["billing"])
    services.link_request_set_customer(
        actor=cast.outsider, request_id=req.pk, account_id=customer.account_id
    )
    services.link_request_submit(actor=cast.outsider, request_id=req.pk)
    services.link_request_approve(actor=cast.outsider_admin, request_id=req.pk)
    token = consent_token_for(req)
    item = req.items.get()
    services.consent_decide(token=token, decisions={item.pk: (True, "")})
    link = Link.objects.get(reseller=cast.other, customer=customer, link_type="billing")
    activate(cast, link.pk)
    link.refresh_from_db()
    return link


# --- a clean request -------------------------------------------------------------------------


def test_a_valid_request_has_no_reasons(cast):
    customer, reasons = checks.dry_run(
        actor=cast.initiator,
        reseller=cast.reseller,
        account_id="1234-5678-0000-0000-0000-0000-0000-9012",
        items=[BILLING, provisioning(), delegation()],
        consent_days=7,
    )
    assert reasons == []
    assert customer == cast.customer


def test_every_reason_carries_its_stage_message_and_hint(cast):
    (reason,) = dry_run(cast, account_id="99999999000000000000000000009999")
    assert reason.as_dict() == {
        "code": "LNK-V002",
        "stage": "validation",
        "message": "No customer account 99999999000000000000000000009999 exists in the directory.",
        "hint": reason.hint,
        "item": "",
    }
    assert reason.hint


# --- the account id and the directory --------------------------------------------------------


def test_account_id_with_letters_is_malformed(cast):
    assert codes(dry_run(cast, account_id="abcd-efgh-ijkl")) == ["LNK-V001"]


def test_account_id_with_eleven_digits_is_malformed(cast):
    assert codes(dry_run(cast, account_id="12345678901")) == ["LNK-V001"]


def test_account_id_in_full_width_digits_is_read_as_its_digits(cast):
    # NFKC, as every identifier: an id typed with a full-width keyboard is the same id.
    assert codes(dry_run(cast, account_id="１２３４５６７８" + "０" * 20 + "９０１２")) == codes(
        dry_run(cast, account_id="12345678000000000000000000009012")
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in cast.customer.account_id)
    assert checks.find_customer(full_width) == (cast.customer, [])


def test_missing_account_id_is_reported(cast):
    assert codes(dry_run(cast, account_id="")) == ["LNK-V021"]


def test_account_not_in_the_directory_is_reported(cast):
    assert codes(dry_run(cast, account_id="9999 9999" + " 0000" * 5 + " 9999")) == ["LNK-V002"]


def test_frozen_account_is_refused(cast):
    assert codes(dry_run(cast, account_id=cast.frozen.account_id)) == ["LNK-V003"]


def test_account_in_arrears_is_refused(cast):
    assert codes(dry_run(cast, account_id=cast.arrears.account_id)) == ["LNK-V004"]


def test_deregistered_account_is_refused(cast):
    assert codes(dry_run(cast, account_id=cast.deregistered.account_id)) == ["LNK-V005"]


def test_account_on_the_other_site_is_refused(cast):
    reasons = dry_run(cast, account_id=cast.cn_customer.account_id, items=[BILLING])
    assert codes(reasons) == ["LNK-V006"]
    assert "China" in reasons[0].message


def test_partner_account_is_refused(cast):
    assert codes(dry_run(cast, account_id=cast.partner_account.account_id)) == ["LNK-V007"]


def test_account_without_contact_email_is_refused(cast):
    assert codes(dry_run(cast, account_id=cast.no_contact.account_id)) == ["LNK-V020"]


# --- existing links and requests -------------------------------------------------------------


def test_customer_with_another_billing_partner_refuses_billing_only(cast):
    make_other_reseller_billing_partner(cast, cast.customer)
    reasons = dry_run(cast, items=[BILLING, provisioning()])
    assert codes(reasons) == ["LNK-V008"]
    assert reasons[0].item == "billing"


def test_active_link_of_the_same_type_is_reported(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast))
        token = consent_token_for(req)
        services.consent_decide(token=token, decisions={req.items.get().pk: (True, "")})
    assert codes(dry_run(cast, items=[delegation()])) == ["LNK-V011"]
    assert dry_run(cast, items=[provisioning()]) == []


def test_open_request_for_the_same_customer_and_type_is_reported(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast))
    reasons = dry_run(cast, items=[delegation()])
    assert codes(reasons) == ["LNK-V012"]
    assert req.reference in reasons[0].message


def test_open_request_of_another_reseller_does_not_block(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        submit(cast, make_draft(cast))
    assert dry_run(cast, actor=cast.outsider, reseller=cast.other) == []


# --- the program and the acting user ---------------------------------------------------------


def test_link_type_outside_the_program_is_refused(cast):
    cast.reseller.allow_billing = False
    cast.reseller._change_reason = "billing removed from the program"
    cast.reseller.save()
    reasons = dry_run(cast, items=[BILLING, delegation()])
    assert codes(reasons) == ["LNK-V009"]
    assert reasons[0].item == "billing"


def test_suspended_reseller_is_refused(cast):
    cast.reseller.status = Reseller.Status.SUSPENDED
    cast.reseller.save()
    assert codes(dry_run(cast)) == ["LNK-V019"]


def test_viewer_lacks_the_role_to_request(cast):
    reasons = dry_run(cast, actor=cast.viewer)
    assert codes(reasons) == ["LNK-V013"]
    assert "initiator" in reasons[0].hint


def test_user_of_another_reseller_lacks_the_role(cast):
    assert codes(dry_run(cast, actor=cast.outsider)) == ["LNK-V013"]


# --- the scope of each item ------------------------------------------------------------------


def test_request_without_link_types_is_refused(cast):
    assert codes(dry_run(cast, items=[])) == ["LNK-V014"]


def test_item_without_services_is_refused(cast):
    assert codes(dry_run(cast, items=[provisioning(services=[])])) == ["LNK-V015"]


def test_item_with_an_unknown_service_is_refused(cast):
    assert codes(dry_run(cast, items=[delegation(services=["ECS", "NOPE"])])) == ["LNK-V015"]


def test_inactive_service_is_unknown(cast):
    cast.obs.is_active = False
    cast.obs.save()
    assert codes(dry_run(cast, items=[delegation(services=["OBS"])])) == ["LNK-V015"]


def test_item_without_regions_is_refused(cast):
    assert codes(dry_run(cast, items=[provisioning(regions=[])])) == ["LNK-V016"]


def test_item_with_an_unknown_region_is_refused(cast):
    assert codes(dry_run(cast, items=[provisioning(regions=["mars-1"])])) == ["LNK-V016"]


def test_region_of_the_other_site_is_unknown(cast):
    assert codes(dry_run(cast, items=[provisioning(regions=["cn-north-4"])])) == ["LNK-V016"]


def test_region_not_enabled_for_the_account_is_refused(cast):
    RegionFactory(code="ap-east-1", name="AP-Hong Kong")
    reasons = dry_run(cast, items=[provisioning(regions=["ap-southeast-1", "ap-east-1"])])
    assert codes(reasons) == ["LNK-V010"]
    assert "ap-east-1" in reasons[0].message


def test_delegation_of_zero_days_is_refused(cast):
    reasons = dry_run(cast, items=[delegation(duration_days=0)])
    assert codes(reasons) == ["LNK-V017"]
    assert "0 was given" in reasons[0].message


def test_delegation_of_731_days_is_refused(cast):
    assert codes(dry_run(cast, items=[delegation(duration_days=731)])) == ["LNK-V017"]


def test_delegation_of_one_and_730_days_is_accepted(cast):
    assert dry_run(cast, items=[delegation(duration_days=1)]) == []
    assert dry_run(cast, items=[delegation(duration_days=730)]) == []


def test_delegation_without_duration_is_refused(cast):
    assert codes(dry_run(cast, items=[delegation(duration_days=None)])) == ["LNK-V017"]


def test_unknown_access_level_is_refused(cast):
    assert codes(dry_run(cast, items=[delegation(access_level="owner")])) == ["LNK-V018"]
    assert codes(dry_run(cast, items=[delegation(access_level="")])) == ["LNK-V018"]


def test_consent_deadline_out_of_range_is_refused(cast):
    assert codes(dry_run(cast, consent_days=0)) == ["LNK-V022"]
    assert codes(dry_run(cast, consent_days=31)) == ["LNK-V022"]
    assert dry_run(cast, consent_days=30) == []


# --- all at once -----------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(cast):
    cast.reseller.status = Reseller.Status.SUSPENDED
    cast.reseller.save()
    reasons = dry_run(
        cast,
        actor=cast.viewer,
        account_id=cast.frozen.account_id,
        items=[
            provisioning(services=[], regions=["mars-1"]),
            delegation(access_level="owner", duration_days=731),
        ],
        consent_days=31,
    )
    assert codes(reasons) == [
        "LNK-V019",
        "LNK-V013",
        "LNK-V003",
        "LNK-V015",
        "LNK-V016",
        "LNK-V018",
        "LNK-V017",
        "LNK-V022",
    ]
    assert [r.item for r in reasons if r.code in ("LNK-V015", "LNK-V016")] == [
        "provisioning",
        "provisioning",
    ]


def test_account_problems_are_reported_together(cast):
    customer = cast.partner_account
    customer.status = CustomerAccount.Status.FROZEN
    customer.contact_email = ""
    customer.save()
    assert codes(dry_run(cast, account_id=customer.account_id)) == [
        "LNK-V003",
        "LNK-V007",
        "LNK-V020",
    ]


# --- approval policy -------------------------------------------------------------------------


def set_policy(cast, policy):
    cast.reseller.approval_policy = policy
    cast.reseller.save()
    return cast.reseller


def test_always_policy_needs_approval_even_for_read_only(cast):
    reseller = set_policy(cast, Reseller.ApprovalPolicy.ALWAYS)
    assert checks.needs_approval(reseller=reseller, items=[read_only_delegation(cast)])


def test_never_policy_needs_no_approval_even_for_billing(cast):
    reseller = set_policy(cast, Reseller.ApprovalPolicy.NEVER)
    assert not checks.needs_approval(reseller=reseller, items=[BILLING, delegation()])


def test_beyond_read_only_policy_lets_read_only_non_sensitive_delegation_through(cast):
    assert not checks.needs_approval(reseller=cast.reseller, items=[read_only_delegation(cast)])


def test_beyond_read_only_policy_needs_approval_for_manage(cast):
    items = [delegation(access_level="manage")]
    assert checks.needs_approval(reseller=cast.reseller, items=items)


def test_beyond_read_only_policy_needs_approval_for_sensitive_services(cast):
    items = [delegation(services=["ECS", "IAM"])]
    assert checks.needs_approval(reseller=cast.reseller, items=items)


def test_beyond_read_only_policy_needs_approval_for_billing_and_provisioning(cast):
    assert checks.needs_approval(reseller=cast.reseller, items=[BILLING])
    assert checks.needs_approval(reseller=cast.reseller, items=[provisioning()])
    assert checks.needs_approval(reseller=cast.reseller, items=[delegation(), BILLING])
