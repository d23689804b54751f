"""The Huawei Cloud API operations the portal calls, at the SDK's paths and in its shapes."""

from datetime import UTC

from django.db.models import F, Q
from django.http import JsonResponse
from django.shortcuts import render

from . import services
from .api import FLAT, NESTED, ApiError, int_param, json_body, signed_api
from .models import Agency, Association, Fault, Server
from .roles import BROAD_ROLE, READ, REGIONS, WRITE, grants, project_id, region_of_project


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- BSS intl: ListSubCustomers --------------------------------------------------------------


@signed_api("ListSubCustomers", FLAT, methods=("POST",))
def list_sub_customers(request):
    body = json_body(request)
    offset = int_param(body.get("offset"), "offset", 0, 0, 10**9, "CBC.0100")
    limit = int_param(body.get("limit"), "limit", 10, 1, 100, "CBC.0100")
    associations = Association.objects.filter(partner_id=request.credential.account_id)
    if body.get("account_name"):
        associations = associations.filter(customer__name__icontains=str(body["account_name"]))
    if body.get("customer"):
        associations = associations.filter(customer__display_name__icontains=str(body["customer"]))
    if body.get("customer_id"):
        associations = associations.filter(customer__domain_id=str(body["customer_id"]))
    if body.get("association_type"):
        associations = associations.filter(association_type=str(body["association_type"]))
    rows = associations.order_by("id").values(
        "association_type",
        "associated_at",
        "customer__domain_id",
        "customer__name",
        "customer__display_name",
        "customer__email",
        "customer__frozen",
        "customer__verified_status",
    )[offset : offset + limit]
    infos = [
        {
            "customer": row["customer__display_name"],
            "account_name": row["customer__name"],
            "customer_id": row["customer__domain_id"],
            "associated_on": _iso(row["associated_at"]),
            "association_type": row["association_type"],
            "label": "",
            "telephone": "",
            "verified_status": row["customer__verified_status"],
            "country_code": "",
            "customer_type": 1,
            "is_frozen": int(row["customer__frozen"]),
            "account_managers": [],
            "xaccount_id": "",
            "xaccount_type": "",
            "customer_level": "",
            "email": row["customer__email"],
        }
        for row in rows
    ]
    return JsonResponse({"count": associations.count(), "customer_infos": infos})


@signed_api("ShowSubCustomerBudget", FLAT)
def sub_customer_budget(request):
    """The partner's view of one associated customer's money this month: the budget it gives
    the customer and how much of it is used. A customer not associated is refused as BSS
    refuses it (CBC.5004)."""
    customer_id = request.GET.get("customer_id") or ""
    if not customer_id:
        raise ApiError(400, "CBC.0100", "customer_id is required.")
    association = Association.objects.filter(
        partner_id=request.credential.account_id, customer__domain_id=customer_id
    ).first()
    if association is None:
        raise ApiError(403, "CBC.5004", "You have no right to perform this operation.")
    return JsonResponse(
        {
            "budget_amount": float(association.budget_amount),
            "used_amount": float(association.used_amount),
            "measure_id": 1,
            "currency": association.currency,
            "budget_type": "MONTHLY",
        }
    )


# --- IAM: CreateTemporaryAccessKeyByAgency, KeystoneListAuthProjects ---------------------------


def _take_broaden():
    for fault in Fault.objects.filter(kind="broaden", times__gt=0):
        if Fault.objects.filter(pk=fault.pk, times__gt=0).update(times=F("times") - 1):
            return True
    return False


@signed_api("CreateTemporaryAccessKeyByAgency", NESTED, methods=("POST",))
def create_security_token(request):
    auth = json_body(request).get("auth")
    identity = auth.get("identity") if isinstance(auth, dict) else None
    identity = identity if isinstance(identity, dict) else {}
    methods = identity.get("methods")
    assume = identity.get("assume_role")
    if (
        not isinstance(methods, list)
        or "assume_role" not in methods
        or not isinstance(assume, dict)
    ):
        raise ApiError(400, "IAM.0011", "auth.identity must use the assume_role method.")
    duration = int_param(
        assume.get("duration_seconds"), "duration_seconds", 900, 900, 86400, "IAM.0011"
    )
    if not assume.get("agency_name") or not (assume.get("domain_id") or assume.get("domain_name")):
        raise ApiError(400, "IAM.0011", "assume_role needs agency_name and domain_id.")
    caller = request.credential
    if caller.agency_id or caller.security_token:
        raise ApiError(403, "IAM.0003", "Temporary credentials cannot assume an agency.")
    lookup = Q(customer__domain_id=str(assume.get("domain_id") or ""))
    if not assume.get("domain_id"):
        lookup = Q(customer__name=str(assume["domain_name"]))
    agency = (
        Agency.objects.select_related("customer")
        .filter(lookup, name=str(assume["agency_name"]))
        .first()
    )
    if agency is None:
        raise ApiError(404, "IAM.0004", "The agency does not exist in this account.")
    if agency.trusted_domain_name != caller.account.name:
        raise ApiError(403, "IAM.0003", "The agency does not trust the calling account.")
    if services.agency_expired(agency):
        raise ApiError(403, "IAM.0003", "The agency has expired.")
    key = services.issue_temporary_credentials(
        agency, duration_seconds=duration, broadened=_take_broaden()
    )
    credential = {
        "access": key.access_key,
        "secret": key.secret_key,
        "securitytoken": key.security_token,
        "expires_at": key.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return JsonResponse({"credential": credential}, status=201)


def _region_roles(key, region):
    """The roles the credentials hold in a region, or None when they reach everything."""
    if not key.security_token:
        return None  # an account's own keys: the account is its own administrator
    if key.broadened:
        return [BROAD_ROLE]
    if key.agency is None:
        return []  # the agency was deleted after the credentials were issued
    return list(key.agency.domain_roles) + list(key.agency.project_roles.get(region, []))


def _reachable_regions(key):
    if not key.security_token or key.broadened:
        return list(REGIONS)
    if key.agency is None:
        return []
    if key.agency.domain_roles:
        return list(REGIONS)
    return [region for region in REGIONS if key.agency.project_roles.get(region)]


@signed_api("KeystoneListAuthProjects", NESTED)
def auth_projects(request):
    key = request.credential
    domain_id = key.account.domain_id
    base = request.build_absolute_uri("/v3/projects/")
    projects = [
        {
            "id": project_id(domain_id, region),
            "name": region,
            "domain_id": domain_id,
            "parent_id": domain_id,
            "is_domain": False,
            "enabled": True,
            "description": "",
            "links": {"self": base + project_id(domain_id, region)},
        }
        for region in _reachable_regions(key)
    ]
    links = {"self": request.build_absolute_uri("/v3/auth/projects")}
    return JsonResponse({"projects": projects, "links": links})


# --- ECS: ListServersDetails, CreateServers (dry run) ------------------------------------------


def _authorize_ecs(request, project, level, action):
    key = request.credential
    region = region_of_project(key.account.domain_id, project)
    if region is None:
        raise ApiError(403, "APIGW.0302", "The project does not belong to the credentials.")
    roles = _region_roles(key, region)
    if roles is not None and not grants(roles, "ecs", level):
        raise ApiError(403, "APIGW.0302", f"Policy doesn't allow {action} to be performed.")
    return key.account, region


def _server(server, project):
    return {
        "id": server.server_id,
        "name": server.name,
        "status": server.status,
        "tenant_id": project,
        "created": _iso(server.created_at),
        "updated": _iso(server.created_at),
        "metadata": {},
        "addresses": {},
        "OS-EXT-AZ:availability_zone": f"{server.region}a",
        "flavor": {"id": server.flavor, "name": server.flavor, "vcpus": "1", "ram": "1024"},
    }


@signed_api("ListServersDetails", NESTED)
def list_servers(request, project):
    account, region = _authorize_ecs(request, project, READ, "ecs:cloudServers:list")
    limit = int_param(request.GET.get("limit"), "limit", 25, 1, 1000, "Ecs.0005")
    page = int_param(request.GET.get("offset"), "offset", 1, 1, 10**6, "Ecs.0005")
    servers = Server.objects.filter(account=account, region=region).order_by("id")
    if request.GET.get("name"):
        servers = servers.filter(name__icontains=request.GET["name"])
    if request.GET.get("status"):
        servers = servers.filter(status=request.GET["status"])
    start = (page - 1) * limit
    items = [_server(server, project) for server in servers[start : start + limit]]
    return JsonResponse({"count": servers.count(), "servers": items})


@signed_api("CreateServers", NESTED, methods=("POST",))
def create_servers(request, project):
    body = json_body(request)
    _authorize_ecs(request, project, WRITE, "ecs:cloudServers:create")
    if body.get("dry_run") is not True:
        raise ApiError(400, "Ecs.0005", "The sandbox answers CreateServers only with dry_run.")
    if not isinstance(body.get("server"), dict):
        raise ApiError(400, "Ecs.0005", "server is required.")
    return JsonResponse({}, status=202)


def not_found(request, exception=None):
    if request.path.startswith("/console/"):
        return render(request, "sandbox/404.html", status=404)
    message = "The API does not exist or has not been published."
    body = {"error_code": "APIGW.0101", "error_msg": message}
    return JsonResponse(body, status=404)
