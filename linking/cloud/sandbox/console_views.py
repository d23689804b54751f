"""The sandbox's console: a customer signs in, accepts association invitations, manages agencies."""

import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .console_forms import AgencyForm, SignInForm, initial_from_agency, initial_from_query
from .models import Account, Agency, Association
from .roles import REGIONS, project_id
from .services import SandboxError

SESSION_KEY = "sandbox_account_id"
# The association types the cloud knows, as its console words them (2 and 3 both resale: the
# API reference and the SDK disagree on the code).
ASSOCIATION_TYPES = {"1": "consultative sales", "2": "resale", "3": "resale"}
RESALE = "2"


def signed_in(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = Account.objects.filter(pk=request.session.get(SESSION_KEY)).first()
        if account is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('console-signin')}?{query}")
        request.account = account
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def signin(request):
    form = SignInForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        account = Account.objects.filter(name=form.cleaned_data["name"]).first()
        if (
            account
            and account.password
            and check_password(form.cleaned_data["password"], account.password)
        ):
            request.session.cycle_key()
            request.session[SESSION_KEY] = account.pk
            return redirect(next_url or reverse("console-home"))
        form.add_error(None, "The account name or password is wrong.")
    return render(request, "sandbox/signin.html", {"form": form, "next": next_url})


@require_POST
def signout(request):
    request.session.flush()
    return redirect("console-signin")


@signed_in
def home(request):
    account = request.account
    context = {
        "account": account,
        "partners": Association.objects.filter(customer=account).select_related("partner"),
        "agencies": Agency.objects.filter(customer=account).order_by("name"),
        "projects": [(region, project_id(account.domain_id, region)) for region in REGIONS],
    }
    return render(request, "sandbox/home.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def invitation(request, partner_domain_id):
    partner = Account.objects.filter(domain_id=partner_domain_id).first()
    if partner is None or partner.pk == request.account.pk:
        raise Http404("No such partner")
    # A partner's invitation link is for a resale association unless it says otherwise: the
    # partner pays the cloud and bills the customer, which a billing link expects.
    association_type = request.GET.get("type", RESALE)
    if association_type not in ASSOCIATION_TYPES:
        association_type = RESALE
    existing = Association.objects.filter(partner=partner, customer=request.account).first()
    if request.method == "POST" and existing is None:
        services.associate(partner, request.account, association_type)
        messages.success(request, f"You are now associated with {partner.name}.")
        return redirect("console-home")
    context = {
        "partner": partner,
        "existing": existing,
        "association_type": association_type,
        "association_label": ASSOCIATION_TYPES[association_type],
    }
    return render(request, "sandbox/invitation.html", context)


def _agency_of(request, name):
    agency = Agency.objects.filter(customer=request.account, name=name).first()
    if agency is None:
        raise Http404("No such agency")
    return agency


def _save(request, form, agency=None):
    if not form.is_valid():
        return False
    try:
        services.save_agency(
            request.account,
            name=agency.name if agency else form.cleaned_data["name"],
            trusted_domain_name=form.cleaned_data["trusted_domain_name"],
            project_roles=form.project_roles(),
            domain_roles=form.cleaned_data["domain_roles"],
            duration=form.cleaned_data["duration"],
            description=form.cleaned_data["description"],
            agency=agency,
        )
    except SandboxError as error:
        form.add_error(None, error.message)
        return False
    return True


@signed_in
@require_http_methods(["GET", "POST"])
def agency_create(request):
    form = AgencyForm(request.POST or None, initial=initial_from_query(request.GET))
    if request.method == "POST" and _save(request, form):
        messages.success(request, f"Agency {form.cleaned_data['name']} created.")
        return redirect("console-home")
    return render(request, "sandbox/agency_form.html", {"form": form, "agency": None})


@signed_in
@require_http_methods(["GET", "POST"])
def agency_edit(request, name):
    agency = _agency_of(request, name)
    form = AgencyForm(request.POST or None, initial=initial_from_agency(agency), editing=True)
    if request.method == "POST" and _save(request, form, agency):
        messages.success(request, f"Agency {agency.name} changed.")
        return redirect("console-home")
    return render(request, "sandbox/agency_form.html", {"form": form, "agency": agency})


@signed_in
@require_http_methods(["GET", "POST"])
def agency_delete(request, name):
    agency = _agency_of(request, name)
    if request.method == "POST":
        services.delete_agency(request.account, agency.name)
        messages.success(request, f"Agency {agency.name} deleted.")
        return redirect("console-home")
    return render(request, "sandbox/agency_delete.html", {"agency": agency})


def current_account(request):
    """Context processor: the signed-in account on every console page."""
    return {"account": getattr(request, "account", None)}
