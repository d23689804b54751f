"""Demo data for a local run: catalogs, two resellers and their people, a customer directory
and link requests in every state, all built through the services so history is complete.

Run it after `migrate` on a fresh development database; running it again adds nothing.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Reseller, Role, Site, User
from accounts.services import membership_add, reseller_create
from linking import journeys, services
from linking.checks.reasons import ItemSpec
from linking.cloud import demo as cloud_demo
from linking.cloud.models import CloudConnection
from linking.cloud.services import cloud_connection_save
from linking.demo_data import (
    CN_REGIONS,
    CUSTOMERS,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY,
    INTL_REGIONS,
    REGIONS,
    RESELLERS,
    SERVICES,
    demo_identity,
    slug,
)
from linking.models import CustomerAccount, Link, LinkRequest, Preset, Region, Service


class Command(BaseCommand):
    help = (
        "Load demo data (catalogs, two resellers, users, 56 customers, requests in every state) "
        "into a development database. Safe to run again: it only adds what is missing."
    )

    def handle(self, *args, **options):
        self.created = 0
        self._catalog()
        resellers = self._resellers()
        users = self._users(resellers)
        customers = self._customers()
        self._requests(resellers, users, customers)
        self._presets(resellers, users)
        self._cloud_connections()
        self._summary(users)

    # --- catalogs ------------------------------------------------------------------------

    def _catalog(self) -> None:
        for code, name, category, sensitive in SERVICES:
            if not Service.objects.filter(code=code).exists():
                svc = Service(code=code, name=name, category=category, sensitive=sensitive)
                svc._change_reason = "demo data"
                svc.save()
                self.created += 1
        for code, name, site in REGIONS:
            if not Region.objects.filter(code=code).exists():
                region = Region(code=code, name=name, site=site)
                region._change_reason = "demo data"
                region.save()
                self.created += 1

    # --- resellers and people ------------------------------------------------------------

    def _resellers(self) -> dict[str, Reseller]:
        out = {}
        for spec in RESELLERS:
            reseller = Reseller.objects.filter(partner_id=spec["partner_id"]).first()
            if reseller is None:
                reseller = reseller_create(
                    actor=None,
                    reason="demo data",
                    partner_id=spec["partner_id"],
                    name=spec["name"],
                    tier=spec["tier"],
                    approval_policy=spec["approval_policy"],
                )
                self.created += 1
            out[spec["domain"]] = reseller
        return out

    def _user(self, email: str, first: str, last: str, **flags) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=email, email=email, first_name=first, last_name=last, **flags)
            user.set_password(DEMO_PASSWORD)
            user._change_reason = "demo data"
            user.save()
            self.created += 1
        # A second factor ready for the roles that must have one (the demo's published key).
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.get_or_create(
            user=user,
            name="demo authenticator",
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
        return user

    def _member(self, reseller: Reseller, user: User, role: str) -> None:
        if not Membership.objects.filter(reseller=reseller, user=user).exists():
            membership_add(
                actor=None, reseller=reseller, email=user.email, role=role, check_actor=False
            )
            self.created += 1

    def _users(self, resellers: dict[str, Reseller]) -> dict[str, User]:
        users: dict[str, User] = {}
        people = {
            Role.ADMIN: ("Alex", "Admin"),
            Role.INITIATOR: ("Ines", "Initiator"),
            Role.APPROVER: ("Avery", "Approver"),
            Role.VIEWER: ("Vic", "Viewer"),
        }
        for domain, reseller in resellers.items():
            for role, (first, last) in people.items():
                email = f"{role.value}@{domain}"
                users[email] = self._user(email, first, f"{last} ({reseller.name.split()[0]})")
                self._member(reseller, users[email], role)
        shared = self._user("sam.both@partners.example", "Sam", "Both")
        users[shared.email] = shared
        self._member(resellers["northwind.example"], shared, Role.INITIATOR)
        self._member(resellers["contoso.example"], shared, Role.APPROVER)
        auditor = self._user("auditor@platform.example", "Audrey", "Auditor", is_staff=True)
        auditor.groups.add(Group.objects.get_or_create(name="auditors")[0])
        users[auditor.email] = auditor
        staff = self._user(
            "staff@platform.example", "Stacy", "Staff", is_staff=True, is_superuser=True
        )
        users[staff.email] = staff
        return users

    # --- customers -----------------------------------------------------------------------

    def _customers(self) -> list[CustomerAccount]:
        regions = {r.code: r for r in Region.objects.all()}
        customers = []
        for n, (name, status, site, is_partner) in enumerate(CUSTOMERS):
            account_id, account_name = demo_identity(name)
            customer = CustomerAccount.objects.filter(account_id=account_id).first()
            if customer is None:
                customer = CustomerAccount(
                    account_id=account_id,
                    account_name=account_name,
                    display_name=name,
                    contact_email=f"cloud-admin@{slug(name)}.example.com",
                    site=site,
                    status=status,
                    is_partner=is_partner,
                )
                customer._change_reason = "demo data"
                customer.save()
                codes = CN_REGIONS if site == Site.CHINA else INTL_REGIONS[: 3 + n % 4]
                customer.regions.set([regions[c] for c in codes])
                self.created += 1
            customers.append(customer)
        return customers

    # --- requests ------------------------------------------------------------------------

    def _draft(self, *, reseller, actor, customer, specs, ticket, note) -> LinkRequest:
        self.created += 1
        return journeys.draft(
            actor=actor,
            reseller=reseller,
            customer=customer,
            specs=specs,
            ticket=ticket,
            note=note,
        )

    def _decide(self, req: LinkRequest, *, accept: bool, reason: str = "") -> LinkRequest:
        """The customer's answer on the consent page, then the activation worker's part."""
        # Every seeded request names its customer.
        assert req.customer is not None
        req, _ = journeys.decide_all(
            req,
            accept=accept,
            reason=reason,
            ip_address="192.0.2.10",
            user_agent="seed_demo",
        )
        journeys.activate(req)
        return req

    def _requests(self, resellers, users, customers) -> None:
        nw, co = resellers["northwind.example"], resellers["contoso.example"]
        nw_init, nw_appr = users["initiator@northwind.example"], users["approver@northwind.example"]
        co_init, co_appr = users["initiator@contoso.example"], users["approver@contoso.example"]
        by_name = {c.display_name: c for c in customers}
        read_only = ItemSpec(
            link_type="delegation",
            services=["ECS", "EVS", "OBS", "VPC"],
            regions=["ap-southeast-1", "ap-southeast-3"],
            access_level="read_only",
            duration_days=90,
        )
        provisioning = ItemSpec(
            link_type="provisioning",
            services=["ECS", "EVS", "RDS", "VPC", "ELB"],
            regions=["ap-southeast-1", "ap-southeast-3"],
        )
        billing = ItemSpec(link_type="billing")
        manage_sensitive = ItemSpec(
            link_type="delegation",
            services=["ECS", "IAM", "KMS", "RDS"],
            regions=["ap-southeast-1"],
            access_level="manage",
            duration_days=180,
        )
        note = "As agreed in our call, this lets us run your cloud operations."

        def todo(ticket: str) -> bool:
            return not LinkRequest.objects.filter(ticket_reference=ticket).exists()

        # Each demo request is built in one transaction, so an interrupted run leaves no
        # half-built request behind and the next run builds it again.

        # Contoso is billing partner of Wide World Importers, so Northwind cannot be.
        if todo("DEMO-CO-BILLING"):
            with transaction.atomic():
                req = self._draft(
                    reseller=co,
                    actor=co_init,
                    customer=by_name["Wide World Importers"],
                    specs=[billing],
                    ticket="DEMO-CO-BILLING",
                    note="Billing transfer as per the signed reseller agreement.",
                )
                req = journeys.submit(req, actor=co_init, approver=co_appr, reason="contract ok")
                self._decide(req, accept=True)
        if todo("DEMO-CO-APPROVAL"):
            with transaction.atomic():
                req = self._draft(
                    reseller=co,
                    actor=co_init,
                    customer=by_name["Tailspin Toys"],
                    specs=[read_only],
                    ticket="DEMO-CO-APPROVAL",
                    note="Read-only access for our monthly cost review.",
                )
                journeys.submit(req, actor=co_init)

        if todo("DEMO-DRAFT"):
            with transaction.atomic():
                self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Acme Retail Group"],
                    specs=[provisioning],
                    ticket="DEMO-DRAFT",
                    note="Draft: scope still being agreed.",
                )
        if todo("DEMO-APPROVAL"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Globex Logistics"],
                    specs=[billing, provisioning],
                    ticket="DEMO-APPROVAL",
                    note=note,
                )
                journeys.submit(req, actor=nw_init)
        if todo("DEMO-CONSENT"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Initech Software"],
                    specs=[read_only],
                    ticket="DEMO-CONSENT",
                    note="Read-only access so our support desk can see your resources.",
                )
                journeys.submit(req, actor=nw_init)
        if todo("DEMO-CONSENT-SENSITIVE"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Hooli Media"],
                    specs=[manage_sensitive],
                    ticket="DEMO-CONSENT-SENSITIVE",
                    note="Managed security operations, including IAM and key rotation.",
                )
                journeys.submit(req, actor=nw_init, approver=nw_appr, reason="checked")
        if todo("DEMO-COMPLETED"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Umbrella Pharmaceuticals"],
                    specs=[billing, provisioning, manage_sensitive],
                    ticket="DEMO-COMPLETED",
                    note=note,
                )
                req = journeys.submit(req, actor=nw_init, approver=nw_appr, reason="contract ok")
                self._decide(req, accept=True)
        if todo("DEMO-REJECTED"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Stark Manufacturing"],
                    specs=[provisioning],
                    ticket="DEMO-REJECTED",
                    note=note,
                )
                req = journeys.submit(req, actor=nw_init)
                services.link_request_reject(
                    actor=nw_appr, request_id=req.pk, reason="No signed contract on file yet."
                )
        if todo("DEMO-DECLINED"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Wayne Property Holdings"],
                    specs=[read_only],
                    ticket="DEMO-DECLINED",
                    note=note,
                )
                req = journeys.submit(req, actor=nw_init)
                self._decide(req, accept=False, reason="We manage this account in-house.")
        if todo("DEMO-CANCELLED"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Cyberdyne Robotics"],
                    specs=[read_only],
                    ticket="DEMO-CANCELLED",
                    note=note,
                )
                req = journeys.submit(req, actor=nw_init)
                services.link_request_cancel(
                    actor=nw_init, request_id=req.pk, reason="Sent to the wrong account."
                )
        if todo("DEMO-EXPIRED"):
            with transaction.atomic():
                req = self._draft(
                    reseller=nw,
                    actor=nw_init,
                    customer=by_name["Soylent Foods"],
                    specs=[read_only],
                    ticket="DEMO-EXPIRED",
                    note=note,
                )
                req = journeys.submit(req, actor=nw_init)
                req.refresh_from_db()
                req.consent_deadline = timezone.now() - timedelta(hours=1)
                req._change_reason = "demo data: deadline moved into the past"
                req.save(update_fields=["consent_deadline"])
                services.link_request_expire(request_id=req.pk)

    def _presets(self, resellers, users) -> None:
        nw = resellers["northwind.example"]
        admin = users["admin@northwind.example"]
        presets = [
            (
                "Read-only operations APAC",
                "Monitoring contracts: read-only delegation over compute, storage and network.",
                [
                    ItemSpec(
                        link_type="delegation",
                        services=["ECS", "EVS", "OBS", "VPC"],
                        regions=["ap-southeast-1", "ap-southeast-3"],
                        access_level="read_only",
                        duration_days=90,
                    )
                ],
            ),
            (
                "Managed services APAC",
                "Full resale: billing plus provisioning of the managed-services stack.",
                [
                    ItemSpec(link_type="billing"),
                    ItemSpec(
                        link_type="provisioning",
                        services=["ECS", "EVS", "RDS", "VPC", "ELB"],
                        regions=["ap-southeast-1", "ap-southeast-3"],
                    ),
                ],
            ),
        ]
        for name, description, items in presets:
            if not Preset.objects.filter(reseller=nw, name=name).exists():
                services.preset_create(
                    actor=admin, reseller=nw, name=name, description=description, items=items
                )
                self.created += 1

    # --- output --------------------------------------------------------------------------

    # --- cloud connections: both demo resellers reach the sandbox cloud ------------------

    def _cloud_connections(self) -> None:
        # The same fixed keys the sandbox's `seed-demo` gives the demo partner accounts.
        url = settings.SANDBOX_URL or cloud_demo.SANDBOX_URL
        for partner in cloud_demo.PARTNERS:
            reseller = Reseller.objects.get(partner_id=partner.partner_id)
            if CloudConnection.objects.filter(reseller=reseller).exists():
                continue
            cloud_connection_save(
                actor=None,
                reseller=reseller,
                partner_domain_id=partner.domain_id,
                partner_account_name=partner.name,
                access_key=partner.access_key,
                secret_key=partner.secret_key,
                bss_endpoint=url,
                iam_endpoint=url,
                ecs_endpoint=url,
                invitation_url=cloud_demo.invitation_url(url, partner),
                check_actor=False,
                reason="demo data",
            )
            self.created += 1

    def _summary(self, users: dict[str, User]) -> None:
        out = self.stdout
        out.write(f"Demo data ready ({self.created} objects created).")
        out.write(f"Open {settings.PORTAL_BASE_URL}/ and log in with one of:")
        for membership in (
            Membership.objects.filter(user__in=users.values())
            .select_related("user", "reseller")
            .order_by("reseller__name", "role", "user__email")
        ):
            out.write(
                f"  {membership.user.email:32} {membership.get_role_display():10} "
                f"{membership.reseller.name}"
            )
        out.write(f"  {'auditor@platform.example':32} auditor (Django admin, read-only)")
        out.write(f"  {'staff@platform.example':32} platform staff (superuser)")
        out.write(f"Password for every demo login: {DEMO_PASSWORD}")
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        out.write(
            f"Second factor: add the key {secret} to an authenticator app, or run "
            "`.venv/bin/python manage.py demo_code` for the current code."
        )
        self._awaiting_setup_summary()

    def _awaiting_setup_summary(self) -> None:
        """The demo links waiting for their customer's part, and who does it in the console."""
        out = self.stdout
        console = {customer.domain_id: customer.name for customer in cloud_demo.CUSTOMERS}
        waiting = (
            Link.objects.filter(status=Link.Status.AWAITING_SETUP)
            .select_related("reseller", "customer")
            .order_by("pk")
        )
        if waiting:
            out.write(
                "Links waiting for the customer's part, done in the sandbox console (login, "
                f"password {cloud_demo.CONSOLE_PASSWORD}):"
            )
        for link in waiting:
            out.write(
                f"  {link.reference} {link.get_link_type_display():26} {link.reseller.name:26} "
                f"{console.get(link.customer.account_id, 'not in the sandbox cloud')}"
            )
        out.write("A delegation from request to active, step by step: docs/sandbox.md, Try it.")
