"""The partner's associated customers, read through the BSS SDK from the sandbox cloud."""

from datetime import datetime

from linking.cloud.types import SubCustomer, SubCustomerPage
from tests.cloud.provider_setup import connect


def test_list_sub_customers_answers_every_fact_of_an_associated_customer(cloud):
    partner = connect(cloud)
    customer = cloud.control.create_account(
        "acme-prod",
        display_name="Acme Ltd",
        email="ops@acme.example",
        frozen=True,
        verified_status="2",
    )
    cloud.control.associate(partner.domain_id, customer["domain_id"], association_type="3")
    cloud.control.create_account("not-associated")

    page = partner.provider.list_sub_customers()

    assert isinstance(page, SubCustomerPage)
    assert (page.total, page.offset, len(page.items)) == (1, 0, 1)
    found = page.items[0]
    assert isinstance(found, SubCustomer)
    assert (found.domain_id, found.account_name, found.display_name) == (
        customer["domain_id"],
        "acme-prod",
        "Acme Ltd",
    )
    assert (found.association_type, found.frozen, found.verified_status) == ("3", True, "2")
    assert found.verified
    assert found.contact_email == "ops@acme.example"
    assert isinstance(found.associated_at, datetime) and found.associated_at.tzinfo is not None


def test_a_customer_of_another_partner_is_not_listed(cloud):
    partner = connect(cloud)
    other = cloud.control.create_account("partner-two")
    customer = cloud.control.create_account("their-customer")
    cloud.control.associate(other["domain_id"], customer["domain_id"])

    assert partner.provider.list_sub_customers().items == ()
    assert partner.provider.get_sub_customer(customer["domain_id"]) is None


def test_get_sub_customer_answers_one_account_and_how_it_is_associated(cloud):
    partner = connect(cloud)
    ids = [cloud.control.create_account(f"customer-{n}")["domain_id"] for n in range(3)]
    for n, domain_id in enumerate(ids):
        cloud.control.associate(partner.domain_id, domain_id, association_type=str(1 + n % 2))

    found = partner.provider.get_sub_customer(ids[1])

    assert (found.domain_id, found.account_name, found.association_type) == (
        ids[1],
        "customer-1",
        "2",
    )
    assert partner.provider.get_sub_customer("0" * 32) is None


def test_iter_sub_customers_reads_each_page_once_until_all_are_read(cloud):
    partner = connect(cloud)
    cloud.control.bulk_customers(partner.domain_id, 250, name_prefix="bulk-")
    provider = partner.provider
    offsets = []
    list_page = provider.bss.list_sub_customers

    def counting(request):
        offsets.append(request.body.offset)
        return list_page(request)

    provider.bss.list_sub_customers = counting

    customers = list(provider.iter_sub_customers())

    assert offsets == [0, 100, 200]
    assert len(customers) == 250
    assert len({c.domain_id for c in customers}) == 250
    assert all(c.account_name.startswith("bulk-") for c in customers)


def test_list_sub_customers_pages_by_row_offset_from_zero(cloud):
    partner = connect(cloud)
    cloud.control.bulk_customers(partner.domain_id, 5, name_prefix="row-")

    first = partner.provider.list_sub_customers(offset=0, limit=2)
    second = partner.provider.list_sub_customers(offset=2, limit=2)

    assert (first.total, second.total, second.offset) == (5, 5, 2)
    assert {c.domain_id for c in first.items}.isdisjoint(c.domain_id for c in second.items)


def test_check_connection_passes_with_working_keys(cloud):
    connect(cloud).provider.check_connection()
