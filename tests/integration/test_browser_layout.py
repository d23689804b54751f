"""Every page of the portal fits a laptop screen (1280 px) and a phone (375 px) in a real
headless Chromium: nothing makes the page scroll sideways (wide tables scroll inside their own
container), and every item of the navigation, Log out included, can be reached: in the bar, in
the account menu, or behind the collapsed menu's button on a phone.

Each kind of user signs in and visits the pages it reaches: the reseller's roles their pages
(teams, sessions, second factors, keys, webhooks, the cloud connection and single sign-on
included), the customer the consent, withdrawal and receipt pages (no login) and the customer
centre (signed in with its e-mailed code), auditors and staff the admin (a history page
included) and the operations pages. A full-page screenshot of each page found wrong is written
under var/screenshots/layout/; of every page at both widths with `--screenshots`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse

from accounts.invitations import invitation_create
from accounts.models import Role
from accounts.services import membership_add, reseller_create
from accounts.teams import team_create, team_member_add
from linking import journeys, services
from linking.checks import ItemSpec
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link
from linking.webhooks.services import webhook_endpoint_create
from tests.conftest import make_draft, submit
from tests.factories import CustomerFactory
from tests.integration.test_browser_journey import browser  # noqa: F401 (fixture)
from tests.journeys import activate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": 1280, "phone": 375}
TIMEOUT_MS = 15_000
SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots" / "layout"

BILLING = ItemSpec(link_type="billing")
MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS", "OBS", "IAM"],
    regions=["ap-southeast-1", "eu-west-101"],
    access_level="manage",
    duration_days=90,
)


def _linked(cast, customer, specs) -> Link:
    req = submit(cast, make_draft(cast, customer=customer, specs=specs))
    if req.status == "pending_approval":
        req = services.link_request_approve(actor=cast.approver, request_id=req.pk)
    with transaction.atomic():
        token = services.consent_issue_token(request_id=req.pk)
    # The customer types the code e-mailed to the contact address where one is needed.
    journeys.decide_all(req, accept=True, token=token)
    link = Link.objects.filter(source_item__request=req).latest("id")
    activate(cast, link.pk)
    link.refresh_from_db()
    return link


@pytest.fixture
def portal_pages(cast, settings):
    """A reseller with something on every page, and the address of each page by who sees it."""
    # Two memberships: the navigation then carries the reseller switch, its widest form.
    third = reseller_create(actor=None, partner_id="P-300003", name="Zephyr Distribution")
    membership_add(
        actor=None,
        reseller=third,
        email=cast.admin.email,
        role=Role.VIEWER,
        check_actor=False,
    )
    link = _linked(cast, cast.customer, [MANAGE])
    billing = _linked(cast, cast.customer2, [BILLING])
    with transaction.atomic():
        withdrawal = services.link_issue_withdrawal_token(link_id=billing.pk)
    receipt = ConsentRecord.objects.filter(item__request=link.source_item.request).first()
    regions = [cast.region_a, cast.region_b]
    long_name = "Initech Holdings International Consolidated Manufacturing Limited"
    waiting = submit(
        cast,
        make_draft(
            cast,
            customer=CustomerFactory(display_name=long_name, enabled_regions=regions),
            specs=[MANAGE],
        ),
    )
    fresh = CustomerFactory(enabled_regions=regions)
    consent = submit(cast, make_draft(cast, customer=fresh, ticket="INC-2002"))
    with transaction.atomic():
        token = services.consent_issue_token(request_id=consent.pk)
    # A draft whose review shows a blocking reason: its customer lost the contact address after
    # it was chosen (step 2 refuses an account without one).
    lost = CustomerFactory(enabled_regions=regions)
    draft = make_draft(cast, customer=lost)
    lost.contact_email = ""
    lost.save(update_fields=["contact_email"])
    preset = services.preset_create(
        actor=cast.admin,
        reseller=cast.reseller,
        name="Read-only APAC",
        description="Monitoring contracts",
        items=[MANAGE],
    )
    from linking.batches.parsing import COLUMNS

    header = ",".join(COLUMNS)
    row = ",".join(
        {"key": "k1", "account_id": cast.customer.account_id, "link_types": "billing"}.get(c, "")
        for c in COLUMNS
    )
    batch = services.batch_upload(
        actor=cast.initiator,
        reseller=cast.reseller,
        file_name="rows.csv",
        data=f"{header}\n{row}\nk2,not-an-id,billing\n".encode(),
    )
    member = cast.viewer.memberships.get(reseller=cast.reseller)
    team = team_create(actor=cast.admin, reseller=cast.reseller, name="Platform operations")
    team_member_add(
        actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=cast.initiator.pk
    )
    invitation = invitation_create(
        actor=cast.admin,
        reseller=cast.reseller,
        email="new.colleague@northwind.example",
        role="viewer",
    )
    # A receiver's address on loopback, which the address rules refuse unless allowed.
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    endpoint, _secret = webhook_endpoint_create(
        actor=cast.admin,
        reseller=cast.reseller,
        url="http://127.0.0.1:9/hooks/portal-events-of-northwind-cloud-distribution",
        events=["link.active", "link.revoked"],
        description="CRM of the sales team",
    )

    def linking(name, *args):
        return reverse(f"linking:{name}", args=args)

    reseller_pages = [
        reverse("portal:dashboard"),
        linking("request-list"),
        linking("request-list") + "?status=pending_consent",
        linking("request-detail", waiting.pk),
        linking("request-detail", consent.pk),
        linking("request-detail", link.source_item.request_id),
        linking("approval-queue"),
        linking("link-list"),
        linking("link-detail", link.pk),
        linking("link-detail", billing.pk),
        linking("customer-list"),
        linking("customer-detail", cast.customer.pk),
        linking("preset-list"),
        linking("batch-list"),
        linking("batch-detail", batch.pk),
        reverse("accounts:member-list"),
        reverse("accounts:password-change"),
        reverse("portal:error-codes"),
        "/no-such-page/",
        linking("funnel"),
        reverse("accounts:team-list"),
        reverse("accounts:team-detail", args=[team.pk]),
        reverse("accounts:settings"),
        reverse("accounts:activity"),
        reverse("accounts:session-list"),
        reverse("accounts:mfa"),
        reverse("accounts:my-invitations"),
    ]
    initiator_pages = [
        *(linking("request-wizard", draft.pk, step) for step in (1, 2, 3, 4)),
        linking("request-cancel", draft.pk),
        linking("batch-upload"),
    ]
    admin_pages = [
        linking("link-revoke", link.pk),
        linking("preset-create"),
        linking("preset-edit", preset.pk),
        linking("preset-delete", preset.pk),
        reverse("accounts:member-remove", args=[member.pk]),
        reverse("accounts:invitation-revoke", args=[invitation.pk]),
        reverse("accounts:team-delete", args=[team.pk]),
        reverse("accounts:api-key-list"),
        reverse("webhooks:list"),
        reverse("webhooks:create"),
        reverse("webhooks:detail", args=[endpoint.pk]),
        reverse("webhooks:edit", args=[endpoint.pk]),
        reverse("cloud:connection"),
        reverse("cloud:connection-edit"),
        reverse("sso:provider"),
        reverse("sso:provider-edit"),
    ]
    request_admin = "admin:linking_linkrequest"
    back_office = [
        reverse("admin:index"),
        reverse(f"{request_admin}_changelist"),
        reverse(f"{request_admin}_change", args=[waiting.pk]),
        reverse(f"{request_admin}_history", args=[waiting.pk]),
        reverse("admin:linking_link_history", args=[link.pk]),
        reverse("admin:accounts_auditevent_trail"),
    ]
    return {
        "anonymous": [
            reverse("accounts:login"),
            reverse("accounts:password-reset"),
            reverse("customer:sign-in"),
        ],
        "customer": [
            reverse("consent:page", args=[token]),
            reverse("consent:withdraw", args=[withdrawal]),
            reverse("consent:receipt", args=[receipt_sign(receipt.receipt_reference)]),
        ],
        "viewer": reseller_pages,
        "approver": [*reseller_pages, linking("link-revoke", link.pk)],
        "initiator": [*reseller_pages, *initiator_pages],
        "admin": [*reseller_pages, *initiator_pages, *admin_pages],
        "auditor": back_office,
        "staff": [
            *back_office,
            reverse("ops:outbox"),
            reverse("ops:directory-import"),
            reverse("admin:accounts_reseller_changelist"),
            reverse("admin-funnel"),
        ],
        # The customer's contact signed in to the customer centre with an e-mailed code.
        "centre": [reverse("customer:home"), reverse("customer:withdraw", args=[link.pk])],
    }


def _sign_in(page, user) -> None:
    from tests.integration.test_browser_journey import log_in

    log_in(page, user)


def _sign_in_to_the_centre(page, customer) -> None:
    """The customer centre's sign-in: the contact address, then the code e-mailed to it."""
    from tests.linking.test_customer_centre import deliver_codes

    page.goto(reverse("customer:sign-in"))
    page.get_by_label("Contact e-mail address").fill(customer.contact_email)
    page.get_by_role("button", name="E-mail me a code").click()
    page.wait_for_url(re.compile(r".*/customer/sign-in/code/$"))
    page.get_by_label("Six-digit code").fill(deliver_codes())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/customer/$"))


def _overflow(page) -> str:
    """ "" when the page fits its viewport; otherwise the widths and the widest elements."""
    return page.evaluate(
        """() => {
          const doc = document.documentElement, width = window.innerWidth;
          if (doc.scrollWidth <= width) return "";
          const wide = [...document.body.querySelectorAll("*")]
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .filter(e => !e.closest(".table-responsive, .results, .overflow-auto"))
            .slice(0, 4)
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                 + (e.className && e.className.baseVal === undefined
                    ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
          return `scrollWidth ${doc.scrollWidth} > ${width}: ${wide.join(", ")}`;
        }"""
    )


def _nav_unreachable(page) -> list[str]:
    """The navigation's links and buttons a person cannot reach: each must be inside the
    viewport, after opening the collapsed menu and the account menu when they are shown."""
    toggler = page.locator("nav.navbar .navbar-toggler")
    if toggler.count() and toggler.is_visible():
        toggler.click()
        page.locator("nav .navbar-collapse.show").wait_for()
    account = page.locator("nav.navbar #account-menu")
    if account.count():
        account.click()
        page.locator("nav .dropdown-menu.show").wait_for()
    # The portal's bar, and the admin's user tools (its side menu folds behind its own button).
    # One round trip for all items: visible as Playwright means it (a box that is not empty,
    # and not visibility: hidden), and the whole box inside the viewport.
    return page.evaluate(
        """() => {
          const width = window.innerWidth;
          const items = document.querySelectorAll(
            "nav.navbar a, nav.navbar button:not(.navbar-toggler):not(#account-menu),"
            + " nav.navbar select, #user-tools a, #user-tools button");
          return [...items].filter(e => {
            const box = e.getBoundingClientRect();
            const visible = box.width > 0 && box.height > 0
              && getComputedStyle(e).visibility !== "hidden";
            return !visible || box.x < 0 || box.x + box.width > width;
          }).map(e => (e.innerText || e.getAttribute("aria-label") || "").trim()
                      || e.outerHTML.slice(0, 80));
        }"""
    )


# Who visits, and the attribute of the cast that signs in (None: nobody signs in).
USERS = {
    "anonymous": None,
    "customer": None,
    "viewer": "viewer",
    "approver": "approver",
    "initiator": "initiator",
    "admin": "admin",
    "auditor": "auditor",
    "staff": "staff",
    "centre": "customer",
}


def _visit_all(browser, base_url, who, user, label, urls, *, every_shot) -> list[str]:  # noqa: F811
    width = WIDTHS[label]
    # Without motion Bootstrap opens the collapsed menu at once instead of after its animation;
    # what is checked is where the items are once it is open.
    context = browser.new_context(
        base_url=base_url, viewport={"width": width, "height": 800}, reduced_motion="reduce"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if who == "centre":
        _sign_in_to_the_centre(page, user)
    elif user is not None:
        _sign_in(page, user)
    problems = []
    for n, url in enumerate(urls, 1):
        page.goto(url)
        found = len(problems)
        if overflow := _overflow(page):
            problems.append(f"{who} at {width}px, {url}: {overflow}")
        if who != "centre" and user is not None and (missing := _nav_unreachable(page)):
            problems.append(f"{who} at {width}px, {url}: navigation out of reach: {missing}")
        if every_shot or len(problems) > found:
            # After the navigation check: a page found wrong is pictured with its menus open.
            slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")[:40] or "home"
            page.screenshot(path=SHOTS / f"{who}-{label}-{n:02d}-{slug}.png", full_page=True)
    context.close()
    return problems


# One test per kind of user, so that test processes share the walk.
@pytest.mark.parametrize("who", list(USERS))
def test_every_page_fits_a_laptop_and_a_phone_for_every_kind_of_user(
    browser,  # noqa: F811
    live_server,
    cast,
    portal_pages,
    who,
    pytestconfig,
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    user = getattr(cast, USERS[who]) if USERS[who] else None
    every_shot = pytestconfig.getoption("screenshots")
    problems = []
    for label in WIDTHS:
        problems += _visit_all(
            browser, live_server.url, who, user, label, portal_pages[who], every_shot=every_shot
        )
    assert not problems, "\n".join(problems)
