"""The customer centre outside a test transaction: a module of its own, since its rows are
committed and the centre's other tests share one cast in a transaction that never is."""

import pytest
from django.urls import reverse

from linking.models import LinkRequest
from tests.journeys import pending_consent
from tests.linking.test_customer_centre import signed_in_for_real


@pytest.mark.django_db(transaction=True)
def test_deciding_in_the_centre_works_outside_a_test_transaction(client, cast):
    # A real request has no surrounding transaction: the decision runs under a row lock.
    req = pending_consent(cast)
    item = req.items.get()
    signed_in_for_real(client, cast.customer.contact_email)
    url = reverse("customer:decide", args=[req.pk])
    assert client.get(url).status_code == 200
    done = client.post(url, {f"decision_{item.pk}": "decline", f"reason_{item.pk}": "not now"})
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.DECLINED
