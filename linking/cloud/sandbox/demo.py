"""The demo state of the sandbox cloud (`python -m linking.cloud.sandbox seed-demo`): the demo
partner accounts with their fixed keys, customer accounts that sign in to the console, some
associations and servers. Adds only what is missing, so it runs before every `make run`."""

from __future__ import annotations

from linking.cloud import demo

from . import services
from .models import Account, Server


def _account(name: str, domain_id: str, **fields) -> tuple[Account, bool]:
    account = Account.objects.filter(domain_id=domain_id).first()
    if account is not None:
        return account, False
    account, _ = services.create_account(name=name, domain_id=domain_id, **fields)
    return account, True


def seed_demo() -> int:
    """Create the demo accounts, associations and servers that are missing; how many rows."""
    created = 0
    partners = {}
    for partner in demo.PARTNERS:
        account, new = _account(
            partner.name,
            partner.domain_id,
            display_name=partner.display_name,
            access_key=partner.access_key,
            secret_key=partner.secret_key,
        )
        partners[partner.name] = account
        created += new
    for customer in demo.CUSTOMERS:
        account, new = _account(
            customer.name,
            customer.domain_id,
            display_name=customer.display_name,
            email=customer.email,
            password=demo.CONSOLE_PASSWORD,
        )
        created += new
        if customer.partner and new:
            # Only with the account: a demo customer who later leaves the partner stays gone.
            services.associate(partners[customer.partner], account, "1")
            # A month of plausible spend: a little per server, within a round budget.
            services.set_budget(
                partners[customer.partner],
                account,
                budget_amount=2000,
                used_amount=12.35 + 41.6 * len(customer.servers),
            )
            created += 1
        for region, name in customer.servers:
            if not Server.objects.filter(account=account, name=name).exists():
                services.create_server(account, region=region, name=name)
                created += 1
    return created


def console_logins() -> list[str]:
    """One line per demo customer: who signs in to the console, and whose partner it is."""
    return [
        f"{customer.name:<22} {customer.partner or 'not associated yet'}"
        for customer in demo.CUSTOMERS
    ]
