"""What the service tests of requests and links share: the specs they submit, the customer's
decision on the consent page, a user read anew, and the newest history row of an object."""

from accounts.models import User
from linking import services
from linking.checks import ItemSpec
from linking.consent.services import consent_code_send, consent_needs_code
from linking.models import LinkRequest
from tests.conftest import emailed_code

Status = LinkRequest.Status
BILLING = ItemSpec(link_type="billing")


def decide(req, token, accept: dict[str, bool], **kwargs):
    decisions = {
        item.pk: (accept[item.link_type], "" if accept[item.link_type] else "Not now")
        for item in req.items.all()
    }
    if "code" not in kwargs and consent_needs_code(req, decisions):
        # The customer asks for the code on the page and types the one e-mailed.
        consent_code_send(token=token, client="127.0.0.1")
        kwargs["code"] = emailed_code()
    return services.consent_decide(token=token, decisions=decisions, **kwargs)


def fresh(user) -> User:
    # guardian and Django cache permissions on the user instance.
    return User.objects.get(pk=user.pk)


def last_history(obj):
    return obj.history.first()
