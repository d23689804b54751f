"""The questions the portal asks a cloud, and the settings of one reseller's connection.

Every method may raise a `CloudError` subclass (`Unreachable`, `Throttled`,
`CredentialsRefused`, `NotFound`, `AccessDenied`, `CloudFailure`), and raises
`CloudCallInTransaction` when it is called while a database transaction is open: a cloud call
can take seconds, and a row lock or an open transaction must not wait for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from linking.cloud.types import (
    CloudProject,
    CustomerBudget,
    ServerPage,
    SubCustomer,
    SubCustomerPage,
    TemporaryCredentials,
)


@dataclass(frozen=True)
class ConnectionSettings:
    """One reseller's connection: the partner account, its access key and the endpoints.

    `ecs_endpoint` may hold `{region}` (`https://ecs.{region}.myhuaweicloud.com`); the
    region is then given with each ECS call. The secret key lives only in memory here.
    """

    partner_domain_id: str
    partner_account_name: str
    access_key: str
    secret_key: str = field(repr=False)
    bss_endpoint: str = "https://bss-intl.myhuaweicloud.com"
    iam_endpoint: str = "https://iam.myhuaweicloud.com"
    ecs_endpoint: str = "https://ecs.{region}.myhuaweicloud.com"
    timeout_seconds: float = 10.0
    # Retries of throttled and failed (5xx) calls: attempts in all, and the total time they
    # may take, waits included.
    max_attempts: int = 4
    max_total_seconds: float = 30.0
    # The first pause between them, each further one up to twice as long (jittered); a
    # Retry-After the cloud sends is waited for instead.
    retry_base_delay_seconds: float = 0.5


class CloudProvider(Protocol):
    def check_connection(self) -> None:
        """Raise a `CloudError` when the partner keys or the endpoints do not work."""

    def list_sub_customers(self, *, offset: int = 0, limit: int = 100) -> SubCustomerPage:
        """One page of the partner's associated customers (`offset` counts rows from 0)."""

    def iter_sub_customers(self) -> Iterator[SubCustomer]:
        """Every associated customer, page after page, each page read once."""

    def get_sub_customer(self, domain_id: str) -> SubCustomer | None:
        """The associated customer with this account id, or None when it is not associated."""

    def get_customer_budget(self, domain_id: str) -> CustomerBudget:
        """An associated customer's budget this month and how much of it is used; raises
        `AccessDenied` (LNK-G001) when the customer is not associated with the partner."""

    def assume_agency(
        self, *, customer_domain_id: str, agency_name: str, duration_seconds: int = 900
    ) -> TemporaryCredentials:
        """Temporary keys of the customer's agency that trusts the partner account."""

    def list_projects(self, creds: TemporaryCredentials) -> list[CloudProject]:
        """The projects (one per region) the assumed agency reaches."""

    def list_servers(
        self,
        creds: TemporaryCredentials,
        *,
        project_id: str,
        region: str | None = None,
        limit: int = 100,
        offset: int = 1,
    ) -> list[dict]:
        """A named read-only call: the servers of a project (`offset` is a page from 1)."""

    def list_servers_page(
        self,
        creds: TemporaryCredentials,
        *,
        project_id: str,
        region: str | None = None,
        limit: int = 20,
    ) -> ServerPage:
        """The first `limit` servers of a project and how many there are in all."""

    def dry_run_create_server(
        self, creds: TemporaryCredentials, *, project_id: str, region: str | None = None
    ) -> bool:
        """True when the agency may create a server there; raises `AccessDenied` otherwise."""
