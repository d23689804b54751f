"""The control API under /_sandbox/ (not Huawei's): tests, demos and benchmarks set state here."""

import functools
import hmac
import json
from datetime import datetime

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import clock, services
from .models import Account
from .services import SandboxError


def control(*methods):
    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            given = request.headers.get("Authorization", "")
            expected = f"Bearer {settings.SANDBOX_CONTROL_TOKEN}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return JsonResponse({"error": "A valid control token is required."}, status=401)
            if request.method not in methods:
                return JsonResponse({"error": "Method not allowed."}, status=405)
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                return JsonResponse({"error": "The body is not valid JSON."}, status=400)
            if not isinstance(body, dict):
                return JsonResponse({"error": "The body must be a JSON object."}, status=400)
            try:
                return view(request, body, *args, **kwargs)
            except SandboxError as error:
                return JsonResponse({"error": error.message}, status=error.status)
            except TypeError as error:  # unexpected or missing fields
                return JsonResponse({"error": f"Invalid fields: {error}"}, status=400)

        return wrapper

    return decorate


def _pick(body, *names):
    return {name: body[name] for name in names if name in body}


@control("GET")
def health(request, body):
    return JsonResponse({"ok": True, "accounts": Account.objects.count()})


@control("POST")
def reset(request, body):
    services.reset()
    return JsonResponse({"ok": True})


@control("POST")
def accounts(request, body):
    fields = ("name", "display_name", "email", "domain_id", "frozen", "verified_status")
    fields += ("access_key", "secret_key")
    account, key = services.create_account(
        **_pick(body, *fields), password=body.get("password") or None
    )
    return JsonResponse(
        {
            "domain_id": account.domain_id,
            "name": account.name,
            "access_key": key.access_key,
            "secret_key": key.secret_key,
        },
        status=201,
    )


@control("POST")
def account(request, body, domain_id):
    fields = ("display_name", "email", "frozen", "verified_status")
    changed = services.update_account(services.account_by_domain(domain_id), **_pick(body, *fields))
    return JsonResponse(
        {
            "domain_id": changed.domain_id,
            "name": changed.name,
            "frozen": changed.frozen,
            "verified_status": changed.verified_status,
        }
    )


@control("POST")
def associations(request, body):
    partner = services.account_by_domain(body.get("partner_domain_id"))
    customer = services.account_by_domain(body.get("customer_domain_id"))
    association = services.associate(partner, customer, body.get("association_type", "1"))
    return JsonResponse({"association_type": association.association_type}, status=201)


@control("POST")
def budgets(request, body):
    association = services.set_budget(
        services.account_by_domain(body.get("partner_domain_id")),
        services.account_by_domain(body.get("customer_domain_id")),
        **_pick(body, "budget_amount", "used_amount", "currency"),
    )
    return JsonResponse(
        {
            "budget_amount": str(association.budget_amount),
            "used_amount": str(association.used_amount),
            "currency": association.currency,
        }
    )


@control("DELETE")
def association(request, body, partner, customer):
    deleted = services.dissociate(
        services.account_by_domain(partner), services.account_by_domain(customer)
    )
    return JsonResponse({"deleted": deleted})


@control("POST")
def bulk_customers(request, body):
    partner = services.account_by_domain(body.get("partner_domain_id"))
    count = services.bulk_customers(
        partner,
        count=body.get("count"),
        name_prefix=body.get("name_prefix"),
        association_type=body.get("association_type", "1"),
    )
    return JsonResponse({"created": count}, status=201)


@control("POST")
def agencies(request, body):
    customer = services.account_by_domain(body.get("customer_domain_id"))
    agency = services.save_agency(
        customer,
        name=body.get("name"),
        trusted_domain_name=body.get("trusted_domain_name"),
        project_roles=body.get("project_roles", {}),
        domain_roles=body.get("domain_roles", []),
        duration=body.get("duration", "FOREVER"),
        description=body.get("description", ""),
    )
    return JsonResponse({"id": agency.agency_id, "name": agency.name}, status=201)


@control("DELETE")
def agency(request, body, customer, name):
    deleted = services.delete_agency(services.account_by_domain(customer), name)
    return JsonResponse({"deleted": deleted})


@control("POST")
def servers(request, body):
    customer = services.account_by_domain(body.get("customer_domain_id"))
    server = services.create_server(
        customer,
        region=body.get("region"),
        name=body.get("name"),
        status=body.get("status", "ACTIVE"),
        flavor=body.get("flavor", "s6.small.1"),
    )
    return JsonResponse({"id": server.server_id}, status=201)


@control("POST", "DELETE")
def faults(request, body):
    if request.method == "DELETE":
        services.clear_faults()
        return JsonResponse({"ok": True})
    fault = services.add_fault(
        **_pick(body, "operation", "kind", "times", "seconds", "status"),
    )
    return JsonResponse({"id": fault.pk}, status=201)


@control("POST", "DELETE")
def clock_view(request, body):
    """Set the sandbox's clock (`{"now": ISO 8601}`) for a test that travels in time, or put
    the real time back (DELETE)."""
    if request.method == "DELETE":
        clock.real_time()
        return JsonResponse({"now": clock.now().isoformat()})
    try:
        moment = datetime.fromisoformat(str(body.get("now", "")))
    except ValueError:
        return JsonResponse({"error": "now: an ISO 8601 moment with its offset."}, status=400)
    if moment.tzinfo is None:
        return JsonResponse({"error": "now: an ISO 8601 moment with its offset."}, status=400)
    clock.set_now(moment)
    return JsonResponse({"now": clock.now().isoformat()})
