"""What a link unlocks, as an operator gets it: *Refresh* on the customer page, a real Celery
worker on Redis reading the sandbox cloud over HTTP through the link's agency, then the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.models import LinkScopeSnapshot
from tests.conftest import login
from tests.integration.servers import wait_for
from tests.journeys import active_link, cloud_customer, connect_reseller

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=30,
)


def test_refresh_has_a_worker_read_the_servers_and_the_page_shows_them(
    cast, cloud, client, request
):
    forget_cached_credentials()
    connect_reseller(cast, cloud)
    link = active_link(cast, [READ_ONLY], cloud=cloud)
    cloud.control.create_server(cloud_customer(cloud, link.customer), "ap-southeast-1", "pos-01")
    request.getfixturevalue("celery_worker_redis")

    login(client, cast.initiator)
    response = client.post(reverse("linking:customer-scope-refresh", args=[cast.customer.pk]))
    assert response.status_code == 302

    wait_for(
        lambda: LinkScopeSnapshot.objects.filter(link=link).exists(),
        timeout=60,
        what="the worker's scope read",
    )
    html = client.get(reverse("linking:customer-detail", args=[cast.customer.pk])).content
    assert b"pos-01" in html and b"data-scope-reading" not in html
