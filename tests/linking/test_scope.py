"""What a link unlocks, on the customer's page: read in the sandbox cloud over HTTP through the
link's own agency (or the partner APIs for billing) by the task, stored, and shown only to the
operators who hold the link's access; never more than the link consents to."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from linking import tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.models import CloudConnection
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.models import Link, LinkScopeSchedule, LinkScopeSnapshot
from linking.services.scope import link_scope_claim_due, link_scope_read
from tests.conftest import login
from tests.journeys import active_link, cloud_customer, connect_reseller

REGION_A = "ap-southeast-1"
REGION_B = "eu-west-101"
TWO_REGIONS = ItemSpec(
    link_type="delegation",
    services=["ECS", "OBS"],
    regions=[REGION_A, REGION_B],
    access_level="read_only",
    duration_days=30,
)
ONE_REGION = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION_A],
    access_level="read_only",
    duration_days=30,
)
BILLING = ItemSpec(link_type="billing")


@pytest.fixture(autouse=True)
def _fresh_credentials():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


@pytest.fixture
def linked(cast, cloud, django_capture_on_commit_callbacks):
    """A connected reseller; `linked(spec)` is a link proven in the sandbox cloud, active."""
    connect_reseller(cast, cloud)

    def make(spec=ONE_REGION, customer=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=False):
            link = active_link(cast, [spec], cloud=cloud, customer=customer, **kwargs)
        assert link.status == Link.Status.ACTIVE
        return link

    return make


def servers(cloud, link, region, *names, flavor=None):
    domain_id = cloud_customer(cloud, link.customer)
    for name in names:
        cloud.control.create_server(domain_id, region, name, flavor=flavor)


def page(client, customer):
    response = client.get(reverse("linking:customer-detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def read(link) -> str:
    forget_cached_credentials()  # a worker of its own: no keys of an earlier call
    return tasks.link_scope_read_task(link.pk)


# --- read through the link's own agency ----------------------------------------------------------


def test_the_task_reads_the_servers_the_agency_reaches_and_the_page_shows_them(
    cast, cloud, client, linked
):
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "shop-web-01", "shop-db-01", flavor="c7.large.2")
    # Another region of the same account: not consented, never read nor shown.
    servers(cloud, link, REGION_B, "secret-eu-01")

    assert page(login(client, cast.initiator), cast.customer).count("shop-web-01") == 0
    assert read(link) == "1 blocks"

    block = LinkScopeSnapshot.objects.get(link=link)
    assert (block.service, block.region, block.count, block.error_code) == ("ECS", REGION_A, 2, "")
    assert {i["name"] for i in block.items} == {"shop-web-01", "shop-db-01"}
    assert {i["flavor"] for i in block.items} == {"c7.large.2"}

    html = page(client, cast.customer)
    assert 'data-scope-block="ECS:ap-southeast-1"' in html
    assert "shop-web-01" in html and "c7.large.2" in html and "ACTIVE" in html
    assert "secret-eu-01" not in html and REGION_B not in html.split('id="customer-scope"')[1]
    assert "Read " in html  # each block says when it was read


def test_a_region_the_sandbox_does_not_grant_is_not_read_and_says_so(cast, cloud, client, linked):
    """The portal believes both regions are granted; the customer narrowed the agency to one."""
    link = linked(TWO_REGIONS)
    servers(cloud, link, REGION_A, "web-a")
    servers(cloud, link, REGION_B, "web-b")
    connection = CloudConnection.objects.get(reseller=cast.reseller)
    domain_id = customer_domain_id(link.customer)
    cloud.control.delete_agency(domain_id, agency_name_for(link))
    cloud.control.create_agency(
        domain_id,
        agency_name_for(link),
        connection.partner_account_name,
        project_roles={REGION_A: ["ECS ReadOnlyAccess"]},
    )

    read(link)

    blocks = {b.region: b for b in LinkScopeSnapshot.objects.filter(link=link)}
    assert set(blocks) == {REGION_A, REGION_B}  # consented, listable: ECS in both; OBS is not
    assert blocks[REGION_A].count == 1 and blocks[REGION_A].error_code == ""
    assert blocks[REGION_B].error_code == "LNK-G006"
    assert blocks[REGION_B].items == [] and blocks[REGION_B].count is None

    html = page(login(client, cast.initiator), cast.customer)
    assert "web-a" in html and "web-b" not in html
    assert 'data-scope-error="LNK-G006"' in html and "Could not be read" in html
    assert 'data-scope-unlisted="OBS"' in html


def test_a_broader_agency_shows_nothing_beyond_the_consent(cast, cloud, client, linked):
    """The agency grants ECS in a second region the link never consented: never asked for."""
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "web-a")
    servers(cloud, link, REGION_B, "hidden-b")
    connection = CloudConnection.objects.get(reseller=cast.reseller)
    domain_id = customer_domain_id(link.customer)
    cloud.control.delete_agency(domain_id, agency_name_for(link))
    cloud.control.create_agency(
        domain_id,
        agency_name_for(link),
        connection.partner_account_name,
        project_roles={REGION_A: ["ECS ReadOnlyAccess"], REGION_B: ["ECS ReadOnlyAccess"]},
    )
    read(link)
    assert list(LinkScopeSnapshot.objects.filter(link=link).values_list("region", flat=True)) == [
        REGION_A
    ]
    html = page(login(client, cast.initiator), cast.customer)
    assert "hidden-b" not in html


def test_an_agency_deleted_makes_every_block_say_it_could_not_be_read(cast, cloud, client, linked):
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "web-a")
    read(link)
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))
    read(link)
    block = LinkScopeSnapshot.objects.get(link=link)
    assert block.error_code == "LNK-G002" and block.items == []
    html = page(login(client, cast.initiator), cast.customer)
    assert "web-a" not in html and 'data-scope-error="LNK-G002"' in html


# --- who sees it --------------------------------------------------------------------------------


def test_members_without_the_links_access_see_nothing_of_it(cast, cloud, client, linked):
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "web-a")
    read(link)

    for user in (cast.viewer, cast.approver):
        html = page(login(client, user), cast.customer)
        assert 'id="customer-scope"' not in html and "web-a" not in html
        # Refresh asks nothing for them either.
        response = client.post(reverse("linking:customer-scope-refresh", args=[cast.customer.pk]))
        assert response.status_code == 302
        assert LinkScopeSchedule.objects.get(link=link).requested_at is None

    # Another reseller's member: the customer is not theirs (404), nothing is shown.
    response = login(client, cast.outsider_admin).get(
        reverse("linking:customer-detail", args=[cast.customer.pk])
    )
    assert response.status_code == 404

    for user in (cast.admin, cast.initiator):
        assert "web-a" in page(login(client, user), cast.customer)


def test_a_link_no_longer_live_is_not_shown_and_its_blocks_go(cast, cloud, client, linked):
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "web-a")
    read(link)
    Link.objects.filter(pk=link.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    assert "web-a" not in page(login(client, cast.initiator), cast.customer)
    assert read(link) == "skipped"
    assert not LinkScopeSnapshot.objects.filter(link=link).exists()


# --- refresh and the schedule -------------------------------------------------------------------


def test_refresh_asks_a_worker_and_the_page_never_calls_the_cloud(
    cast, cloud, client, linked, django_capture_on_commit_callbacks
):
    link = linked(ONE_REGION)
    servers(cloud, link, REGION_A, "web-a")
    login(client, cast.initiator)
    url = reverse("linking:customer-scope-refresh", args=[cast.customer.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task, published after commit
    assert not LinkScopeSnapshot.objects.exists()
    html = page(client, cast.customer)
    assert "data-scope-reading" in html and 'data-scope-not-read="ECS:ap-southeast-1"' in html

    # Asked again at once: no second read.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url)
    assert callbacks == []

    read(link)
    html = page(client, cast.customer)
    assert "web-a" in html and "data-scope-reading" not in html


def test_the_sweep_claims_each_live_link_once_per_period(cast, cloud, linked, settings):
    settings.PORTAL_SCOPE_REFRESH_MINUTES = 60
    link = linked(ONE_REGION)
    now = timezone.now()
    assert link_scope_claim_due(now=now) == [link.pk]
    assert link_scope_claim_due(now=now) == []  # leased
    link_scope_read(link_id=link.pk)
    schedule = LinkScopeSchedule.objects.get(link=link)
    assert schedule.next_read_at > now + timedelta(minutes=55)
    assert link_scope_claim_due(now=now + timedelta(minutes=61)) == [link.pk]


# --- billing ------------------------------------------------------------------------------------


def test_billing_shows_the_association_and_the_months_spend_from_the_sandbox(
    cast, cloud, client, linked
):
    link = linked(BILLING)
    partner = CloudConnection.objects.get(reseller=cast.reseller).partner_domain_id
    domain_id = customer_domain_id(link.customer)
    cloud.control.set_budget(partner, domain_id, budget_amount="2500", used_amount="312.40")
    read(link)

    block = LinkScopeSnapshot.objects.get(link=link)
    assert (block.service, block.error_code, block.drift) == ("billing", "", "")
    assert Decimal(block.facts["spend"]) == Decimal("312.40") and block.facts["currency"] == "USD"
    html = page(login(client, cast.initiator), cast.customer)
    assert "312.40 USD" in html and "2187.60 USD" in html and "2500.00 USD" in html
    assert "resale" in html


def test_a_billing_association_the_cloud_no_longer_reports_is_flagged_as_drift(
    cast, cloud, client, linked
):
    link = linked(BILLING)
    partner = CloudConnection.objects.get(reseller=cast.reseller).partner_domain_id
    cloud.control.dissociate(partner, customer_domain_id(link.customer))
    Link.objects.filter(pk=link.pk).update(
        next_verification_at=timezone.now() + timedelta(hours=20)
    )
    read(link)

    block = LinkScopeSnapshot.objects.get(link=link)
    assert (block.error_code, block.drift) == ("LNK-G001", "gone")
    link.refresh_from_db()
    # Drift's own rule decides: its scheduled re-verification comes forward.
    assert link.next_verification_at <= timezone.now() + timedelta(seconds=60)
    assert link.status == Link.Status.ACTIVE
    html = page(login(client, cast.initiator), cast.customer)
    assert 'data-scope-drift="gone"' in html and "312.40" not in html


# --- cost ---------------------------------------------------------------------------------------


def test_the_customer_page_costs_the_same_whatever_the_scope(
    cast, cloud, client, linked, django_assert_max_num_queries
):
    """A small scope (one region, 2 servers) and a larger one (two regions, 12 servers), each
    with a billing link beside it: the same number of queries."""
    counts = []
    for customer, spec, n in ((cast.customer, ONE_REGION, 2), (cast.customer2, TWO_REGIONS, 6)):
        link = linked(spec, customer=customer)
        billing = linked(BILLING, customer=customer)
        for region in spec.regions:
            servers(cloud, link, region, *[f"{customer.pk}-{region}-{i}" for i in range(n)])
        read(link)
        read(billing)
        login(client, cast.initiator)
        page(client, customer)
        with django_assert_max_num_queries(40) as captured:
            html = page(client, customer)
        assert html.count("data-scope-item=") == n * len(spec.regions)
        counts.append(len(captured))
    assert counts[0] == counts[1]
