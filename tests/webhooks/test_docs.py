"""The verification code of docs/webhooks.md is run as written, against a real delivery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linking.webhooks.delivery import webhook_deliver
from linking.webhooks.services import webhook_emit
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify():
    text = DOC.read_text()
    section = text.split("## Verifying the signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10, "the documentation promises ten lines"
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (the documentation's own code)
    return namespace["verify"]


def test_the_documented_code_verifies_a_real_delivery_and_refuses_a_forgery(cast, receiver):
    verify = documented_verify()
    _endpoint, secret = register(cast, receiver)
    webhook_emit(cast.reseller, "link.active", ("link", 7), {"reference": "LK-000007"})
    from linking.webhooks.models import WebhookDelivery

    webhook_deliver(delivery_id=WebhookDelivery.objects.get().pk)
    (got,) = receiver.received
    event = verify(got.body, got.headers, secret)
    assert event["type"] == "link.active" and event["data"]["reference"] == "LK-000007"
    assert verify(got.body.replace(b"000007", b"000008"), got.headers, secret) is None
    _other, other_secret = register(cast, receiver)
    assert verify(got.body, got.headers, other_secret) is None
