"""Single sign-on pages: the sign-in through the reseller's provider (start, callback), and the
provider's settings for the reseller's admins (behind the step-up).

Starting a sign-in calls nobody (the endpoints were discovered when the provider was saved).
The callback must call the provider (the code exchange, its keys): that is the one page whose
request waits on another server, with a timeout and outside any transaction.
"""

from __future__ import annotations

import logging
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from accounts.current import SESSION_KEY as RESELLER_KEY
from accounts.permissions import ResellerRequest, reseller_required
from accounts.sso import oidc, services
from accounts.sso.forms import IdentityProviderForm, SsoStartForm
from accounts.sso.models import IdentityProvider
from accounts.stepup import step_up_response
from portal.errors import PortalError

logger = logging.getLogger(__name__)

MANAGE = "manage_members"
FLOW_KEY = "portal_sso_flow"
# What the session says about how its user signed in (read by the second-factor step).
METHOD_KEY = "portal_auth_method"
AMR_KEY = "portal_sso_amr"
_STATUS = {"ACC-O002": 502, "ACC-O009": 400}


def redirect_uri() -> str:
    # The address registered at the provider: the portal's own, not the Host header's.
    return settings.PORTAL_BASE_URL + reverse("sso:callback")


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _refused(request: HttpRequest, error: PortalError) -> HttpResponse:
    logger.info("single sign-on refused", extra={"code": error.code})
    return render(
        request, "sso/refused.html", {"error": error}, status=_STATUS.get(error.code, 403)
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sso_start(request: HttpRequest) -> HttpResponse:
    """Ask for the work address, find the reseller by its domain and send the browser to its
    provider with a fresh state, nonce and PKCE verifier kept in the session."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = SsoStartForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    error = None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            provider = services.provider_for_email(email)
        except PortalError as refusal:
            error = refusal
        else:
            state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            verifier = secrets.token_urlsafe(64)
            flow = {
                "state": state,
                "nonce": nonce,
                "verifier": verifier,
                "provider": provider.pk,
                "revision": provider.revision,
                "next": _safe_next(request, next_url),
                "started": time.time(),
            }
            request.session[FLOW_KEY] = flow
            # A page, not a redirect: the form's Content-Security-Policy (form-action 'self')
            # forbids a form submission that ends at another origin, so the browser goes on
            # to the provider by navigating from this page.
            authorize = oidc.authorization_url(
                endpoint=provider.authorization_endpoint,
                client_id=provider.client_id,
                redirect_uri=redirect_uri(),
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                login_hint=email,
            )
            return render(request, "sso/redirect.html", {"authorize_url": authorize})
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sso/start.html",
        {"form": form, "error": error, "next": next_url},
        status=status,
    )


def _flow(request: HttpRequest) -> dict:
    """The sign-in this browser started, used once (ACC-O009 for none, another, or too old)."""
    flow = request.session.pop(FLOW_KEY, None)
    state = request.GET.get("state", "")
    if not isinstance(flow, dict) or not state:
        raise PortalError("ACC-O009")
    if not secrets.compare_digest(str(flow.get("state", "")), state):
        raise PortalError("ACC-O009")
    age = time.time() - float(flow.get("started", 0))
    if not 0 <= age <= settings.PORTAL_SSO_FLOW_MINUTES * 60:
        raise PortalError("ACC-O009")
    return flow


@sensitive_variables("secret", "tokens", "code")
def _signed_in_user(request: HttpRequest, flow: dict):
    """The member the provider signed in, or a PortalError: every check of the answer."""
    if request.GET.get("error"):
        raise PortalError("ACC-O008", error=oidc._error_name(request.GET["error"]))
    provider = (
        IdentityProvider.objects.select_related("reseller")
        .filter(pk=int(flow.get("provider") or 0), enabled=True)
        .first()
    )
    if provider is None or provider.revision != flow.get("revision"):
        raise PortalError("ACC-O009")
    code = request.GET.get("code", "")
    if not code:
        raise PortalError("ACC-O008", error="no_code")
    secret = services.client_secret(provider)
    tokens = oidc.exchange_code(
        issuer=provider.issuer,
        token_endpoint=provider.token_endpoint,
        token_auth_method=provider.token_auth_method,
        client_id=provider.client_id,
        client_secret=secret,
        redirect_uri=redirect_uri(),
        code=code,
        code_verifier=flow["verifier"],
    )
    if not tokens.get("id_token"):
        raise PortalError("ACC-O004", why="it holds no ID token")
    claims = oidc.validate_id_token(
        tokens["id_token"],
        issuer=provider.issuer,
        client_id=provider.client_id,
        jwks_uri=provider.jwks_uri,
        algorithms=provider.signing_algorithms,
        nonce=flow["nonce"],
    )
    if "email" not in claims and provider.userinfo_endpoint and tokens.get("access_token"):
        info = oidc.userinfo(
            issuer=provider.issuer,
            endpoint=provider.userinfo_endpoint,
            access_token=tokens["access_token"],
        )
        # The UserInfo answer counts only for the person of the ID token.
        if info.get("sub") != claims.get("sub"):
            raise PortalError("ACC-O004", why="the UserInfo answer is about someone else")
        claims = {
            **info,
            **claims,
            "email": info.get("email"),
            "email_verified": info.get("email_verified"),
        }
    user = services.member_for_claims(provider, claims)
    return provider, user, claims


@login_not_required
@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here: check everything, then sign the member in."""
    try:
        flow = _flow(request)
        provider, user, claims = _signed_in_user(request, flow)
    except PortalError as error:
        return _refused(request, error)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[RESELLER_KEY] = provider.reseller_id
    request.session[METHOD_KEY] = "sso"
    amr = claims.get("amr")
    request.session[AMR_KEY] = [str(v)[:40] for v in amr][:10] if isinstance(amr, list) else []
    logger.info("single sign-on", extra={"user_id": user.pk, "reseller_id": provider.reseller_id})
    return redirect(flow["next"])


# --- the provider's settings: the reseller's admins --------------------------------------------


def _provider(request: ResellerRequest) -> IdentityProvider | None:
    # The current reseller's own: the page has no id, so another reseller's is unreachable.
    return IdentityProvider.objects.filter(reseller=request.reseller).first()


@require_GET
@reseller_required(MANAGE)
def provider_detail(request: ResellerRequest) -> HttpResponse:
    provider = _provider(request)
    domains = list(provider.domains.values_list("domain", flat=True)) if provider else []
    context = {"provider": provider, "domains": domains, "redirect_uri": redirect_uri()}
    return render(request, "sso/provider.html", context)


@sensitive_post_parameters("client_secret")
@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def provider_edit(request: ResellerRequest) -> HttpResponse:
    back_to = reverse("sso:provider-edit")
    # Asked up front: a refused POST holding a secret is not kept.
    if stepped := step_up_response(
        request, back_to=back_to, on_get=True, doing=_("change the single sign-on")
    ):
        return stepped
    provider = _provider(request)
    has_secret = provider is not None
    if request.method == "GET":
        initial = (
            {
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "domains": "\n".join(provider.domains.values_list("domain", flat=True)),
                "enabled": provider.enabled,
                "required": provider.required,
            }
            if provider
            else {"enabled": True}
        )
        form = IdentityProviderForm(initial=initial, has_secret=has_secret)
        return _render_form(request, form, provider)
    form = IdentityProviderForm(request.POST, has_secret=has_secret)
    if not form.is_valid():
        return _render_form(request, form, provider, status=400)
    data = form.cleaned_data
    try:
        if refusal := services.can_manage_provider(actor=request.user, reseller=request.reseller):
            raise refusal
        # Outside any transaction, before the change: the provider's discovery document.
        discovery = oidc.discover(data["issuer"])
        services.identity_provider_save(
            actor=request.user,
            reseller=request.reseller,
            discovery=discovery,
            client_id=data["client_id"],
            client_secret=data["client_secret"],
            domains=data["domains"],
            enabled=data["enabled"],
            required=data["required"],
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_form(request, form, provider, status=400)
    messages.success(request, _("The single sign-on settings were saved."))
    return redirect("sso:provider")


def _render_form(
    request: ResellerRequest,
    form: IdentityProviderForm,
    provider: IdentityProvider | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "provider": provider, "redirect_uri": redirect_uri()}
    return render(request, "sso/provider_form.html", context, status=status)
