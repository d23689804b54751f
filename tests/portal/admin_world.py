"""The admin tests' world: at least one row of every registered model, built once per module
(tests/portal/conftest.py), and the admin's URLs of a model."""

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_key_create
from linking import services
from linking.batches import directory
from linking.checks import ItemSpec
from linking.models import CloudAssociation, Link, LinkScopeSnapshot
from linking.webhooks.services import webhook_emit, webhook_endpoint_create
from tests.cloud.connection_setup import save_connection
from tests.conftest import build_cast, consent_token_for, make_draft, submit
from tests.journeys import activate


def build_world():
    """At least one row of every registered model: a request consented and its link active."""
    cast = build_cast()
    capture = TestCase.captureOnCommitCallbacks
    req = make_draft(cast)
    with capture(execute=False):
        req = submit(cast, req)
    token = consent_token_for(req)
    item = req.items.get()
    with capture(execute=False):
        services.consent_decide(token=token, decisions={item.pk: (True, "")})
    activate(cast, Link.objects.get().pk)
    # As a scope read writes it; the read itself calls the sandbox (tests/linking/test_scope.py).
    LinkScopeSnapshot.objects.create(
        link=Link.objects.get(),
        service="ECS",
        region="ap-southeast-1",
        items=[{"id": "s-1", "name": "web-1", "status": "ACTIVE", "flavor": "s6.small.1"}],
        count=1,
        read_at=timezone.now(),
    )
    services.batch_upload(
        actor=cast.initiator,
        reseller=cast.reseller,
        file_name="rows.csv",
        data=f"key,account_id,link_types\nw1,{cast.customer2.account_id},billing\n".encode(),
    )
    directory.directory_import_upload(
        actor=cast.staff,
        file_name="d.csv",
        data=b"account_id,display_name\n55550000-0000-0000-0000-000000009999,W\n",
    )
    services.preset_create(
        actor=cast.admin,
        reseller=cast.reseller,
        name="Billing only",
        items=[ItemSpec(link_type="billing")],
    )
    save_connection(cast)
    # A webhook endpoint (never called here) and one event owed to it.
    with override_settings(PORTAL_WEBHOOK_ALLOWED_NETWORKS=["192.0.2.0/24"]):
        webhook_endpoint_create(
            actor=cast.admin,
            reseller=cast.reseller,
            url="http://192.0.2.10/hooks",
            events=["link.active"],
        )
    webhook_emit(cast.reseller, "link.active", ("link", 1), {"reference": "LK-000001"})
    api_key_create(actor=cast.admin, reseller=cast.reseller, name="CRM", role="viewer")
    # As a sync writes it; the sync itself calls the sandbox cloud (tests/cloud/test_sync.py).
    now = timezone.now()
    CloudAssociation.objects.create(
        reseller=cast.reseller,
        customer=cast.customer,
        association_type="1",
        associated_at=now,
        first_seen_at=now,
        confirmed_at=now,
    )
    return cast


def url(model, action, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


def history_url(model, obj):
    record = obj.history.order_by("history_id").first()
    return url(model, "simple_history", obj.pk, record.history_id)


def some_row(model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {model.__name__}"
    return obj


def snapshot():
    from django.apps import apps

    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in ("sessions", "admin"):
            continue
        rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows
