"""The authorization matrix: every URL pattern × every visitor × GET and POST, against the policy.

`walk_urls` reads the URL configuration (never a hand-written list); `run_matrix` sends each
request with real objects of both resellers and returns the violations, so a test can assert
there are none, and another that a deliberately unprotected URL is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.current import SESSION_KEY
from accounts.signals import AUDITORS_GROUP
from tests.security import policy as P
from tests.security.world import ApiVisitor, Side, Visitor, World, receipt_link

METHODS = (P.GET, P.POST)

# URL arguments no object fills: a wizard step, a password-reset link that is not valid.
KWARG_DEFAULTS = {"step": 1, "uidb64": "MQ", "token": "not-a-valid-token"}


def _side_objects(attr: str):
    return lambda side: [getattr(side, attr)]


# Object kind -> for one reseller's side, the objects and the URL arguments each fills.
TARGETS = {
    "request": lambda side: [(r, {"pk": r.pk}) for r in side.requests.values()],
    "link": lambda side: [(side.link, {"pk": side.link.pk})],
    "customer": lambda side: [(side.customer, {"pk": side.customer.pk})],
    "membership": lambda side: [(side.membership, {"pk": side.membership.pk})],
    "preset": lambda side: [(side.preset, {"pk": side.preset.pk})],
    "batch": lambda side: [(side.batch, {"pk": side.batch.pk})],
    "webhook_endpoint": lambda side: [(side.webhook_endpoint, {"pk": side.webhook_endpoint.pk})],
    "webhook_delivery": lambda side: [
        (
            side.webhook_delivery,
            {"pk": side.webhook_delivery.endpoint_id, "delivery_pk": side.webhook_delivery.pk},
        )
    ],
    # The directory is the platform's, not a reseller's: one import, on the first side.
    "directory_import": lambda side: (
        [(side.directory_import, {"pk": side.directory_import.pk})] if side.directory_import else []
    ),
    "receipt_reference": lambda side: [(None, {"reference": side.receipt_reference})],
    "consent_token": lambda side: [(None, {"token": side.consent_token})],
    "withdrawal_token": lambda side: [(None, {"token": side.withdrawal_token})],
    "receipt_signed": lambda side: [(None, {"signed": receipt_link(side)})],
    "api_key": lambda side: [(side.api_key, {"pk": side.api_key.pk})],
    "invitation": lambda side: [(side.invitation, {"pk": side.invitation.pk})],
    "team": lambda side: [(side.team, {"pk": side.team.pk})],
    "team_member": lambda side: [
        (side.team, {"pk": side.team.pk, "user_pk": side.team_member.user_id})
    ],
}

# Expected answers.
LOGIN = "login redirect"
ALLOWED = "allowed"
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
UNAUTHORIZED = 401
# The customer centre's answer to a visitor without a customer session: its sign-in page.
CENTRE_SIGN_IN = "centre sign-in"


@dataclass(frozen=True)
class Endpoint:
    name: str  # qualified: "linking:request-detail"
    route: str
    kwargs: tuple[str, ...]


@dataclass
class Result:
    violations: list[str] = field(default_factory=list)
    endpoints: int = 0
    visitors: int = 0
    requests: int = 0
    by_expectation: dict[str, int] = field(default_factory=dict)
    unit: str = "URLs"
    methods: int = len(METHODS)

    @property
    def size(self) -> str:
        return (
            f"{self.endpoints} {self.unit} × {self.visitors} visitors × {self.methods} methods "
            f"= {self.endpoints * self.visitors * self.methods} cells, "
            f"{self.requests} requests with the objects of both resellers"
        )


def _kwarg_names(pattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def walk_urls(urlconf: str | None = None) -> list[Endpoint]:
    """Every URL pattern of the configuration, with its qualified name and its arguments."""
    found: list[Endpoint] = []

    def walk(patterns, namespace: str, prefix: str, kwargs: list[str]) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            names = kwargs + _kwarg_names(pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(pattern.url_patterns, inner, route, names)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or f"<unnamed {route}>"
                qualified = f"{namespace}:{name}" if namespace else name
                found.append(Endpoint(qualified, route, tuple(names)))

    walk(get_resolver(urlconf).url_patterns, "", "", [])
    return found


def classify(endpoints: Iterable[Endpoint], policy: dict) -> list[str]:
    """A message for every URL pattern the policy does not classify."""
    return [
        f"{ep.name} ({ep.route}) is not classified: add one line for it to POLICY in "
        "tests/security/policy.py saying who may reach it (see the module's docstring)."
        for ep in endpoints
        if P.rule_for(ep.name, policy) is None
    ]


def unknown_names(policy: dict) -> list[str]:
    """Rules naming an object kind or an object rule that does not exist."""
    return [
        f"{name}: unknown obj {rule.obj!r} or only_if {rule.only_if!r}"
        for name, rule in policy.items()
        if (rule.obj and rule.obj not in TARGETS)
        or (rule.only_if and rule.only_if not in P.OBJECT_RULES)
    ]


def stale_entries(endpoints: Iterable[Endpoint], policy: dict) -> list[str]:
    names = {ep.name for ep in endpoints}
    stale = []
    for key in policy:
        if key.endswith(":*"):
            if not any(n.startswith(key[:-1]) for n in names):
                stale.append(key)
        elif key not in names:
            stale.append(key)
    return stale


def expect(rule: P.Rule, visitor: Visitor, side: Side | None, obj, method: str):
    """The answer the policy promises this visitor for this object and method."""
    if rule.access in (P.PUBLIC, P.TOKEN):
        return ALLOWED if method in rule.methods else NOT_ALLOWED
    if rule.access == P.API:
        # The API reads no session: a page's visitor, signed in or not, has no key.
        return UNAUTHORIZED
    if rule.access == P.CUSTOMER:
        if method not in rule.methods:
            return NOT_ALLOWED
        if not visitor.is_customer:
            return CENTRE_SIGN_IN
        if side is not None and side.name != visitor.customer_side:
            return NOT_FOUND
        return ALLOWED
    if visitor.is_anonymous:
        return LOGIN
    if method not in rule.methods:
        return NOT_ALLOWED
    user = visitor.user
    if rule.access == P.LOGIN:
        return ALLOWED
    if rule.access == P.STAFF:
        return ALLOWED if user.is_staff and user.has_perm(rule.perm) else FORBIDDEN
    assert rule.access == P.RESELLER, rule
    if visitor.reseller is None or rule.perm not in visitor.perms:
        return FORBIDDEN
    if side is not None and side.reseller != visitor.reseller:
        return NOT_FOUND
    if rule.obj_perm and rule.obj_perm not in visitor.perms:
        return FORBIDDEN
    if rule.only_if and not P.OBJECT_RULES[rule.only_if](user, obj):
        return FORBIDDEN
    return ALLOWED


def _login_paths() -> tuple[str, ...]:
    return (reverse(settings.LOGIN_URL), reverse("admin:login"))


def judge(expected, response, login_paths, *, lands_on_login: bool = False) -> str | None:
    """None when the response is what was expected, else what it was instead."""
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and location.split("?")[0] in login_paths
    if expected == LOGIN:
        ok = to_login
    elif expected == CENTRE_SIGN_IN:
        ok = status == 200 and b"CUS-S004" in response.content
    elif expected == ALLOWED:
        ok = status < 500 and status not in (403, 404, 405) and (lands_on_login or not to_login)
    else:
        ok = status == expected
    if ok:
        return None
    return f"{status} {location}".strip()


class _Browser:
    """One visitor's client: signed in once, signed in again when a request ended the session."""

    def __init__(self, visitor: Visitor):
        self.visitor = visitor
        self.client = Client()
        self._login()
        self._remember()

    def _login(self) -> None:
        if self.visitor.is_customer:
            from linking.centre.views import customer_session_start

            session = self.client.session
            customer_session_start(
                session,
                email=self.visitor.customer_email,
                accounts=list(self.visitor.customer_accounts),
            )
            session.save()
        if self.visitor.user is not None:
            self.client.force_login(self.visitor.user)
        if self.visitor.reseller is not None:
            # The reseller the visitor works for, as the reseller switch chooses it.
            session = self.client.session
            session[SESSION_KEY] = self.visitor.reseller.pk
            session.save()

    def send(self, method: str, url: str):
        # Each request runs in a savepoint that is rolled back, so a POST changes nothing for
        # the next visitor; the views' own atomic blocks nest inside it.
        try:
            with transaction.atomic():
                try:
                    if method == P.POST:
                        return self.client.post(url, {})
                    return self.client.get(url)
                finally:
                    transaction.set_rollback(True)
        finally:
            self.client.cookies.pop("messages", None)
            # A logout, a login or a password change (or the customer centre's signing out)
            # replaced the session, and the rollback undid its row: sign in again. Any other
            # change to the session was in its row, and the rollback undid it too.
            session_cookie = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
            signed_in = self.visitor.user is not None or self.visitor.is_customer
            if signed_in and (session_cookie is None or self._session_key != session_cookie.value):
                self._login()
            self._remember()

    def _remember(self) -> None:
        cookie = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        self._session_key = cookie.value if cookie else None


def _targets(rule: P.Rule, world: World):
    if not rule.obj:
        return [(None, None, {})]
    return [(side, obj, kw) for side in world.sides for obj, kw in TARGETS[rule.obj](side)]


def _chosen(all_visitors: list[Visitor], names: Iterable[str] | None) -> list[Visitor]:
    if names is None:
        return all_visitors
    wanted = set(names)
    chosen = [v for v in all_visitors if v.name in wanted]
    assert len(chosen) == len(wanted), f"no visitor of the world is named {wanted}"
    return chosen


def run_matrix(
    world: World,
    *,
    urlconf: str | None = None,
    policy: dict | None = None,
    only: Iterable[str] | None = None,
    visitors: Iterable[str] | None = None,
    send: bool = True,
) -> Result:
    """Walk every classified URL for every visitor and method; return what broke the policy.

    ``visitors`` limits the walk to the visitors of those names; ``send=False`` only works out
    what each request should get (``by_expectation``) without sending it."""
    policy = P.POLICY if policy is None else policy
    endpoints = walk_urls(urlconf)
    if only is not None:
        wanted = set(only)
        endpoints = [ep for ep in endpoints if ep.name in wanted]
    result = Result(visitors=len(world.visitors))
    result.violations.extend(classify(endpoints, policy))
    result.violations.extend(unknown_names(policy))
    if result.violations:
        return result
    walked = []
    for ep in endpoints:
        rule = P.rule_for(ep.name, policy)
        if rule is None or rule.access == P.ELSEWHERE:
            continue
        urls = []
        for side, obj, kwargs in _targets(rule, world):
            args = {**{k: KWARG_DEFAULTS.get(k) for k in ep.kwargs}, **kwargs}
            missing = [k for k, v in args.items() if v is None]
            if missing:
                result.violations.append(
                    f"{ep.name}: no value for {missing}; declare obj= in its rule or add a "
                    "default to KWARG_DEFAULTS"
                )
                break
            urls.append((side, obj, reverse(ep.name, kwargs=args, urlconf=urlconf)))
        walked.append((ep, rule, urls))
    result.endpoints = len(walked)
    login_paths = _login_paths()
    for visitor in _chosen(world.visitors, visitors):
        browser = _Browser(visitor) if send else None
        for ep, rule, urls in walked:
            for side, obj, url in urls:
                for method in METHODS:
                    expected = expect(rule, visitor, side, obj, method)
                    key = str(expected)
                    result.by_expectation[key] = result.by_expectation.get(key, 0) + 1
                    if browser is None:
                        continue
                    result.requests += 1
                    try:
                        response = browser.send(method, url)
                    except Exception as exc:  # a 500: the client re-raises the view's error
                        result.violations.append(
                            f"{ep.name} {method} {url} as {visitor.name}: raised {exc!r}"
                        )
                        continue
                    got = judge(expected, response, login_paths, lands_on_login=rule.lands_on_login)
                    if got is not None:
                        what = f" ({obj.status})" if hasattr(obj, "status") else ""
                        result.violations.append(
                            f"{ep.name} {method} {url}{what} as {visitor.name}: "
                            f"expected {expected}, got {got}"
                        )
    return result


# --- the API, per key ------------------------------------------------------------------------


def expect_api(rule: P.Rule, visitor: ApiVisitor, side: Side | None, method: str):
    """The answer the policy promises a script holding `visitor`'s key."""
    if not visitor.valid:
        return UNAUTHORIZED
    if method not in rule.methods:
        return NOT_ALLOWED
    if rule.perm_for(method) not in visitor.perms:
        return FORBIDDEN
    if side is not None and side.reseller != visitor.reseller:
        return NOT_FOUND
    return ALLOWED


def run_api_matrix(world: World, *, visitors: Iterable[str] | None = None) -> Result:
    """Every API route × every key of the world × GET and POST, with both resellers' objects."""
    endpoints = [
        ep
        for ep in walk_urls()
        if (rule := P.rule_for(ep.name)) is not None and rule.access == P.API
    ]
    chosen = world.api_visitors
    if visitors is not None:
        chosen = [v for v in chosen if v.name in set(visitors)]
    result = Result(endpoints=len(endpoints), visitors=len(chosen), unit="API routes")
    for visitor in chosen:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {visitor.key}")
        for ep in endpoints:
            rule = P.rule_for(ep.name)
            assert rule is not None
            for side, _obj, kwargs in _targets(rule, world):
                url = reverse(ep.name, kwargs=kwargs)
                for method in METHODS:
                    expected = expect_api(rule, visitor, side, method)
                    key = str(expected)
                    result.by_expectation[key] = result.by_expectation.get(key, 0) + 1
                    result.requests += 1
                    try:
                        with transaction.atomic():
                            try:
                                if method == P.POST:
                                    response = client.post(url, {}, content_type="application/json")
                                else:
                                    response = client.get(url)
                            finally:
                                transaction.set_rollback(True)
                    except Exception as exc:
                        result.violations.append(
                            f"{ep.name} {method} {url} with {visitor.name}: raised {exc!r}"
                        )
                        continue
                    status = response.status_code
                    if expected == ALLOWED:
                        ok = status < 500 and status not in (401, 403, 404, 405)
                    else:
                        ok = status == expected
                    if not ok or not response["Content-Type"].startswith("application/json"):
                        result.violations.append(
                            f"{ep.name} {method} {url} with {visitor.name}: expected {expected}, "
                            f"got {status} {response['Content-Type']}"
                        )
    return result


# --- the Django admin -----------------------------------------------------------------------

# Admin page -> the methods walked and whether it reads or writes.
ADMIN_PAGES = {
    "changelist": ((P.GET,), "view"),
    "history": ((P.GET,), "view"),
    "change": ((P.GET,), "view"),
    "change ": ((P.POST,), "change"),
    "add": ((P.GET, P.POST), "add"),
    "delete": ((P.GET, P.POST), "delete"),
}


def _admin_may(model_admin, user, action: str, obj) -> bool:
    """What the ModelAdmin declares for this user (staff see only what it allows)."""
    request = RequestFactory().get("/")
    request.user = user
    if action == "add":
        return model_admin.has_add_permission(request)
    return getattr(model_admin, f"has_{action}_permission")(request, obj)


def admin_matrix(world: World, *, visitors: Iterable[str] | None = None) -> Result:
    """Per registered model: non-staff never get in (login page), auditors read every page and
    every write is a 403 for them, staff get what each ModelAdmin declares."""
    result = Result(visitors=len(world.visitors), unit="admin pages and methods", methods=1)
    login_paths = _login_paths()
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            result.violations.append(f"admin: the world has no {opts.label} row")
            continue
        for page, (methods, action) in ADMIN_PAGES.items():
            name = page.strip()
            args = [] if name in ("changelist", "add") else [obj.pk]
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)
            for method in methods:
                pages.append((model_admin, obj, opts.label, name, action, method, url))
    result.endpoints = len(pages)
    for visitor in _chosen(world.visitors, visitors):
        browser = _Browser(visitor)
        user = visitor.user
        is_auditor = user is not None and user.groups.filter(name=AUDITORS_GROUP).exists()
        for model_admin, obj, label, name, action, method, url in pages:
            if user is None or not user.is_staff:
                expected = LOGIN
            elif _admin_may(model_admin, user, action, obj):
                expected = ALLOWED
            else:
                expected = FORBIDDEN
            if is_auditor and action != "view" and expected != FORBIDDEN:
                result.violations.append(f"admin {label} {name}: an auditor may {action}")
            result.requests += 1
            try:
                response = browser.send(method, url)
            except Exception as exc:
                result.violations.append(f"admin {label} {name} {method}: raised {exc!r}")
                continue
            got = judge(expected, response, login_paths)
            if got is not None:
                result.violations.append(
                    f"admin {label} {name} {method} {url} as {visitor.name}: "
                    f"expected {expected}, got {got}"
                )
    return result
