"""Who may reach each URL of the portal: one line per URL name, checked by the matrix.

Classify a new URL by adding one line to POLICY under its qualified name (`namespace:name`):

- `public(GET, POST)`: no login, the same for everybody (login page, help, health).
- `token("consent_token", GET, POST)`: no login, reached by a signed link; the object kind says
  which real token of the world fills the URL.
- `login(POST)`: any signed-in user, no reseller needed (password change); with
  `lands_on_login=True` the allowed answer is the login page (logout).
- `reseller("approve_requests", POST, obj="request")`: a member of the current reseller whose
  role holds the permission (checked before the object), on an object of that reseller; the
  other reseller's object is a 404. `obj_perm` is a permission the view checks only after it
  found the object; `only_if` names an extra object rule of OBJECT_RULES.
- `staff(GET, perm="app.codename")`: platform staff (is_staff) holding the model permission.
- `customer(GET, POST, obj="link")`: the customer centre, no portal login: a visitor signed in
  to the centre (an e-mailed code) for the object's account gets it, another account's object
  is a 404; every visitor without a customer session (anonymous, operators, staff) reads the
  centre's sign-in page (CUS-S004), and a customer is nobody on the operators' pages.
- `elsewhere("why")`: not walked here, and the table says why and what walks it instead.
- `api("approve_requests", POST, obj="request")`: an endpoint of `/api/v1/`, reached only with
  an API key (`Authorization: Bearer`): every visitor of the pages gets a 401, a key whose role
  (within its maker's) lacks the permission a 403, another reseller's object a 404.
  `post_perm` is the permission a POST needs when it differs from the GET's.

The methods are the ones the view answers; any other method is a 405 for a signed-in user.
The object kinds are those of `tests.security.matrix.TARGETS`; URL arguments that no object fills
come from `KWARG_DEFAULTS` there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PUBLIC = "public"
TOKEN = "token"
LOGIN = "login"
RESELLER = "reseller"
STAFF = "staff"
ELSEWHERE = "elsewhere"
CUSTOMER = "customer"
API = "api"

GET = "GET"
POST = "POST"


@dataclass(frozen=True)
class Rule:
    access: str
    methods: tuple[str, ...] = (GET,)
    perm: str = ""
    obj: str = ""
    obj_perm: str = ""
    only_if: str = ""
    lands_on_login: bool = False
    why: str = ""
    post_perm: str = ""

    def perm_for(self, method: str) -> str:
        return self.post_perm if method == POST and self.post_perm else self.perm


def public(*methods: str) -> Rule:
    return Rule(PUBLIC, methods)


def token(obj: str, *methods: str) -> Rule:
    return Rule(TOKEN, methods, obj=obj)


def login(*methods: str, lands_on_login: bool = False) -> Rule:
    return Rule(LOGIN, methods, lands_on_login=lands_on_login)


def reseller(perm: str, *methods: str, obj: str = "", obj_perm: str = "", only_if: str = ""):
    return Rule(RESELLER, methods, perm=perm, obj=obj, obj_perm=obj_perm, only_if=only_if)


def staff(*methods: str, perm: str, obj: str = "") -> Rule:
    return Rule(STAFF, methods, perm=perm, obj=obj)


def api(perm: str, *methods: str, obj: str = "", post_perm: str = "") -> Rule:
    return Rule(API, methods, perm=perm, obj=obj, post_perm=post_perm)


def customer(*methods: str, obj: str = "") -> Rule:
    return Rule(CUSTOMER, methods, obj=obj)


def elsewhere(why: str) -> Rule:
    return Rule(ELSEWHERE, (), why=why)


VIEW = "view_reseller"
INITIATE = "initiate_requests"
APPROVE = "approve_requests"
MANAGE = "manage_members"

POLICY: dict[str, Rule] = {
    # portal
    "healthz": public(GET),
    "readyz": public(GET),
    "metrics": elsewhere(
        "a scraper's bearer token or allowed network, no login: tests/portal/test_operations.py"
    ),
    "favicon": public(GET),
    "portal:dashboard": reseller(VIEW, GET),
    "portal:error-codes": public(GET),
    "portal:language-set": public(POST),
    # accounts
    "accounts:login": public(GET, POST),
    "accounts:logout": login(POST, lands_on_login=True),
    "accounts:password-change": login(GET, POST),
    "accounts:password-change-done": login(GET),
    "accounts:password-reset": public(GET, POST),
    "accounts:password-reset-done": public(GET),
    "accounts:password-reset-confirm": public(GET, POST),
    "accounts:password-reset-complete": public(GET),
    "accounts:switch-reseller": login(POST),
    "accounts:member-list": reseller(VIEW, GET),
    # Step-up: any signed-in user confirms their own password.
    "accounts:step-up": login(GET, POST),
    "accounts:mfa": login(GET),
    "accounts:mfa-verify": login(GET, POST),
    "accounts:mfa-totp-add": login(POST),
    "accounts:mfa-recovery-new": login(POST),
    "accounts:mfa-recovery-shown": login(GET),
    "accounts:mfa-remove": elsewhere(
        "one's own factor by kind and id: another person's is 'no such factor' (ACC-F006); "
        "tests/accounts/test_mfa.py"
    ),
    "accounts:member-mfa-reset": reseller(VIEW, GET, POST, obj="membership", obj_perm=MANAGE),
    "otp_webauthn:credential-registration-begin": login(POST),
    "otp_webauthn:credential-registration-complete": login(POST),
    "otp_webauthn:credential-authentication-begin": login(POST),
    "otp_webauthn:credential-authentication-complete": login(POST),
    "otp_webauthn:js-i18n-catalog": login(GET),
    "accounts:member-add": reseller(MANAGE, POST),
    "accounts:member-role": reseller(VIEW, POST, obj="membership", obj_perm=MANAGE),
    "accounts:member-remove": reseller(VIEW, GET, POST, obj="membership", obj_perm=MANAGE),
    # API keys: their admins only
    "accounts:invitation-create": reseller(MANAGE, POST),
    "accounts:invitation-resend": reseller(MANAGE, GET, POST, obj="invitation"),
    "accounts:invitation-revoke": reseller(MANAGE, GET, POST, obj="invitation"),
    "accounts:member-sessions-end": reseller(VIEW, GET, POST, obj="membership", obj_perm=MANAGE),
    # The invited person: no login needed (a new person has none); the token decides.
    "accounts:invitation-open": public(GET, POST),
    "accounts:my-invitations": login(GET, POST),
    "accounts:session-list": login(GET),
    "accounts:session-end": login(POST),
    "accounts:session-end-others": login(POST),
    "accounts:team-list": reseller(VIEW, GET),
    "accounts:team-create": reseller(MANAGE, POST),
    "accounts:team-detail": reseller(VIEW, GET, obj="team"),
    "accounts:team-rename": reseller(VIEW, POST, obj="team", obj_perm=MANAGE),
    "accounts:team-member-add": reseller(VIEW, POST, obj="team", obj_perm=MANAGE),
    "accounts:team-member-remove": reseller(VIEW, POST, obj="team_member", obj_perm=MANAGE),
    "accounts:team-delete": reseller(VIEW, GET, POST, obj="team", obj_perm=MANAGE),
    "accounts:api-key-list": reseller(MANAGE, GET),
    "accounts:api-key-create": reseller(MANAGE, POST),
    "accounts:api-key-revoke": reseller(MANAGE, GET, POST, obj="api_key"),
    "accounts:settings": reseller(VIEW, GET),
    "accounts:settings-update": reseller(MANAGE, POST),
    "accounts:activity": reseller(VIEW, GET),
    "accounts:activity-csv": reseller(VIEW, GET),
    "linking:funnel": reseller(VIEW, GET),
    "linking:funnel-csv": reseller(VIEW, GET),
    "admin-funnel": staff(GET, perm="linking.view_linkrequest"),
    # linking: requests
    "linking:request-list": reseller(VIEW, GET),
    "linking:request-new": reseller(INITIATE, POST),
    "linking:account-check": reseller(INITIATE, GET),
    "linking:request-detail": reseller(VIEW, GET, obj="request"),
    "linking:request-wizard": reseller(
        INITIATE, GET, POST, obj="request", only_if="draft-initiator"
    ),
    "linking:request-submit": reseller(INITIATE, POST, obj="request"),
    "linking:request-approve": reseller(APPROVE, POST, obj="request"),
    "linking:request-reject": reseller(APPROVE, POST, obj="request"),
    "linking:request-cancel": reseller(INITIATE, GET, POST, obj="request"),
    "linking:request-resend": reseller(INITIATE, POST, obj="request"),
    "linking:approval-queue": reseller(VIEW, GET),
    "linking:request-export": reseller(VIEW, GET),
    "linking:request-preset": reseller(INITIATE, POST, obj="request"),
    # linking: batches, read by every role, uploaded and run by initiators
    "linking:batch-list": reseller(VIEW, GET),
    "linking:batch-upload": reseller(INITIATE, GET, POST),
    "linking:batch-template-csv": reseller(INITIATE, GET),
    "linking:batch-detail": reseller(VIEW, GET, obj="batch"),
    "linking:batch-progress": reseller(VIEW, GET, obj="batch"),
    "linking:batch-result-csv": reseller(VIEW, GET, obj="batch"),
    "linking:batch-confirm": reseller(INITIATE, POST, obj="batch"),
    "linking:batch-retry": reseller(INITIATE, POST, obj="batch"),
    # linking: presets, read by every role, managed by admins
    "linking:preset-list": reseller(VIEW, GET),
    "linking:preset-create": reseller(MANAGE, GET, POST),
    "linking:preset-edit": reseller(MANAGE, GET, POST, obj="preset"),
    "linking:preset-delete": reseller(MANAGE, GET, POST, obj="preset"),
    # linking: links, customers, receipts
    "linking:link-list": reseller(VIEW, GET),
    "linking:link-export": reseller(VIEW, GET),
    "linking:link-detail": reseller(VIEW, GET, obj="link"),
    "linking:link-amend": reseller(INITIATE, POST, obj="link"),
    "linking:link-renew": reseller(INITIATE, POST, obj="link"),
    "linking:link-verify": reseller(VIEW, POST, obj="link"),
    "linking:link-revoke": reseller(APPROVE, GET, POST, obj="link"),
    "linking:customer-list": reseller(VIEW, GET),
    "linking:customer-detail": reseller(VIEW, GET, obj="customer"),
    "linking:customer-scope-refresh": reseller(VIEW, POST, obj="customer"),
    "linking:receipt-download": reseller(VIEW, GET, obj="receipt_reference"),
    # the reseller's own cloud connection: its admins only (no id: always the current reseller's)
    "cloud:connection": reseller(MANAGE, GET),
    "cloud:connection-edit": reseller(MANAGE, GET, POST),
    "cloud:connection-test": reseller(MANAGE, POST),
    "cloud:connection-test-status": reseller(MANAGE, GET),
    # single sign-on: the sign-in answers everybody alike; the provider's settings are the
    # admins' (no id: always the current reseller's)
    "sso:start": public(GET, POST),
    "sso:callback": public(GET),
    "sso:provider": reseller(MANAGE, GET),
    "sso:provider-edit": reseller(MANAGE, GET, POST),
    # the reseller's webhook endpoints: its admins only; another reseller's endpoint is a 404
    "webhooks:list": reseller(MANAGE, GET),
    "webhooks:create": reseller(MANAGE, GET, POST),
    "webhooks:detail": reseller(MANAGE, GET, obj="webhook_endpoint"),
    "webhooks:edit": reseller(MANAGE, GET, POST, obj="webhook_endpoint"),
    "webhooks:set-enabled": reseller(MANAGE, POST, obj="webhook_endpoint"),
    "webhooks:delete": reseller(MANAGE, GET, POST, obj="webhook_endpoint"),
    "webhooks:redeliver": reseller(MANAGE, POST, obj="webhook_delivery"),
    # the customer's pages, by signed links
    # customer centre: no portal login; sign-in pages answer everybody alike
    "customer:sign-in": public(GET, POST),
    "customer:code": public(GET, POST),
    "customer:sign-out": public(POST),
    "customer:home": customer(GET),
    "customer:withdraw": customer(GET, POST, obj="link"),
    "customer:decide": customer(GET, POST, obj="request"),
    "customer:receipt-download": customer(GET, obj="receipt_reference"),
    "consent:page": token("consent_token", GET, POST),
    "consent:withdraw": token("withdrawal_token", GET, POST),
    "consent:receipt": token("receipt_signed", GET),
    "consent:receipt-download": token("receipt_signed", GET),
    "consent:receipt-terraform": token("receipt_signed", GET),
    "consent:receipt-setup-done": token("receipt_signed", POST),
    # platform staff; auditors are staff who read and change nothing
    "ops:outbox": staff(GET, perm="linking.view_notification"),
    "ops:outbox-requeue": staff(POST, perm="linking.change_notification"),
    # The customer directory import: staff who may add and change customer accounts.
    "ops:directory-import": staff(GET, POST, perm="linking.add_customeraccount"),
    "ops:directory-import-template": staff(GET, perm="linking.add_customeraccount"),
    "ops:directory-import-detail": staff(
        GET, perm="linking.add_customeraccount", obj="directory_import"
    ),
    "ops:directory-import-confirm": staff(
        POST, perm="linking.add_customeraccount", obj="directory_import"
    ),
    # the API: keys only (tests/security/test_api_matrix.py walks them per key role)
    "api:code-list": api(VIEW, GET),
    "api:customer-list": api(VIEW, GET),
    "api:customer-detail": api(VIEW, GET, obj="customer"),
    "api:link-list": api(VIEW, GET),
    "api:link-detail": api(VIEW, GET, obj="link"),
    "api:link-amend": api(INITIATE, POST, obj="link"),
    "api:link-renew": api(INITIATE, POST, obj="link"),
    "api:link-revoke": api(APPROVE, POST, obj="link"),
    "api:request-collection": api(VIEW, GET, POST, post_perm=INITIATE),
    "api:request-detail": api(VIEW, GET, obj="request"),
    "api:request-dry-run": api(INITIATE, POST, obj="request"),
    "api:request-submit": api(INITIATE, POST, obj="request"),
    "api:request-cancel": api(INITIATE, POST, obj="request"),
    "api:request-resend": api(INITIATE, POST, obj="request"),
    "api:request-approve": api(APPROVE, POST, obj="request"),
    "api:request-reject": api(APPROVE, POST, obj="request"),
    "api:request-apply-preset": api(INITIATE, POST, obj="request"),
    "api:approval-queue": api(VIEW, GET),
    "api:preset-list": api(VIEW, GET),
    "api:team-list": api(VIEW, GET),
    "api:batch-collection": api(VIEW, GET, POST, post_perm=INITIATE),
    "api:batch-detail": api(VIEW, GET, obj="batch"),
    "api:batch-rows": api(VIEW, GET, obj="batch"),
    "api:batch-confirm": api(INITIATE, POST, obj="batch"),
    # The API's schema and its documentation page are public, like the error-code page.
    "api:schema": public(GET),
    "api:docs": public(GET),
    # the Django admin guards itself (staff only, model permissions); it has hundreds of
    # generated URLs, walked per registered model by `admin_matrix` instead.
    "admin:*": elsewhere("the Django admin: walked per registered model by admin_matrix"),
}


def _draft_initiator(user, obj) -> bool:
    # Only the person who started a draft edits it; a request past draft redirects to its page.
    return obj.status != "draft" or obj.initiator_id == user.pk


# Extra object rules a view applies after the permission: False means the visitor gets a 403.
OBJECT_RULES: dict[str, Callable] = {
    "draft-initiator": _draft_initiator,
}


def rule_for(name: str, policy: dict[str, Rule] = POLICY) -> Rule | None:
    """The rule of a qualified URL name: its own line, else its namespace's `ns:*` line."""
    if name in policy:
        return policy[name]
    namespace = name.rpartition(":")[0]
    while namespace:
        if f"{namespace}:*" in policy:
            return policy[f"{namespace}:*"]
        namespace = namespace.rpartition(":")[0]
    return None
