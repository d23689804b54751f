"""What the linking page tests share: URLs of the pages, the wizard's first step, and requests
built through the services in the states the pages show."""

from django.urls import reverse

from linking.checks import ItemSpec
from linking.models import LinkRequest
from tests.conftest import make_draft, submit
from tests.journeys import accepted_link

Status = LinkRequest.Status
BILLING = [ItemSpec(link_type="billing")]


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


def wizard(req, step):
    return url("request-wizard", req.pk, step)


def codes_in(response) -> str:
    return response.content.decode()


def pending_approval(cast, customer=None):
    return submit(cast, make_draft(cast, customer=customer, specs=BILLING))


def linked(cast, customer=None):
    """A completed read-only delegation with its link, built through the services."""
    return accepted_link(cast, customer=customer)


def _start(client):
    response = client.post(url("request-new"))
    assert response.status_code == 302
    req = LinkRequest.objects.latest("id")
    assert response["Location"] == wizard(req, 1)
    return req
