"""What a link unlocks, read through the SDK from the sandbox: a first page of servers with
their count and flavor, and an associated customer's budget and its use (the month's spend)."""

from decimal import Decimal

import pytest

from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.types import AccessDenied, CloudServer, CustomerBudget, ServerPage
from tests.cloud.provider_setup import REGION, connect, project_of


@pytest.fixture(autouse=True)
def _fresh_credentials_cache():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


def test_list_servers_page_answers_a_first_page_the_count_and_each_flavor(cloud):
    partner = connect(cloud)
    customer = cloud.control.create_account("acme")["domain_id"]
    cloud.control.create_agency(
        customer, "portal-read", partner.name, project_roles={REGION: ["ECS ReadOnlyAccess"]}
    )
    for n in range(5):
        cloud.control.create_server(customer, REGION, f"web-{n}", flavor="c7.large.2")
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    project = project_of(partner.provider, creds)

    page = partner.provider.list_servers_page(creds, project_id=project, region=REGION, limit=3)

    assert isinstance(page, ServerPage) and page.total == 5 and len(page.items) == 3
    first = page.items[0]
    assert isinstance(first, CloudServer)
    assert (first.name, first.status, first.flavor) == ("web-0", "ACTIVE", "c7.large.2")


def test_get_customer_budget_answers_the_budget_and_its_use(cloud):
    partner = connect(cloud)
    customer = cloud.control.create_account("acme")["domain_id"]
    cloud.control.associate(partner.domain_id, customer, association_type="2")
    cloud.control.set_budget(partner.domain_id, customer, budget_amount="800", used_amount="120.5")

    budget = partner.provider.get_customer_budget(customer)

    assert isinstance(budget, CustomerBudget)
    assert (budget.amount, budget.used, budget.remaining) == (
        Decimal("800"),
        Decimal("120.5"),
        Decimal("679.5"),
    )
    assert (budget.currency, budget.budget_type) == ("USD", "MONTHLY")


def test_the_budget_of_a_customer_not_associated_is_refused_as_not_associated(cloud):
    partner = connect(cloud)
    other = cloud.control.create_account("partner-two")["domain_id"]
    customer = cloud.control.create_account("theirs")["domain_id"]
    cloud.control.associate(other, customer)

    with pytest.raises(AccessDenied) as refused:
        partner.provider.get_customer_budget(customer)
    assert refused.value.code == "LNK-G001" and refused.value.error_code == "CBC.5004"
