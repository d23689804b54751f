"""Huawei Cloud on its official Python SDK: BSS intl (partner's customers), IAM (agencies,
projects) and ECS (a read-only call and a dry-run write).

The SDK builds and signs every request; this module chooses the calls, bounds them (timeouts,
no SDK retries), retries throttled and failed calls in one helper, and turns every exception
the SDK or `requests` can raise into the typed failures of `linking.cloud.types`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests
from django.utils import timezone
from huaweicloudsdkbssintl.v2 import (
    BssintlClient,
    ListSubCustomersRequest,
    QuerySubCustomerListReq,
    ShowSubCustomerBudgetRequest,
)
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import (
    ConnectionException,
    RequestTimeoutException,
    SdkException,
    ServiceResponseException,
)
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkecs.v2 import (
    CreateServersRequest,
    CreateServersRequestBody,
    EcsClient,
    ListServersDetailsRequest,
    PrePaidServer,
    PrePaidServerNic,
    PrePaidServerRootVolume,
)
from huaweicloudsdkiam.v3 import (
    AgencyAuth,
    AgencyAuthIdentity,
    CreateTemporaryAccessKeyByAgencyRequest,
    CreateTemporaryAccessKeyByAgencyRequestBody,
    IamClient,
    IdentityAssumerole,
    KeystoneListAuthProjectsRequest,
)

from linking.cloud.provider import ConnectionSettings
from linking.cloud.retry import call_with_retry
from linking.cloud.types import (
    AccessDenied,
    CloudError,
    CloudFailure,
    CloudProject,
    CloudServer,
    CredentialsRefused,
    CustomerBudget,
    NotFound,
    ServerPage,
    SubCustomer,
    SubCustomerPage,
    TemporaryCredentials,
    Throttled,
    Unreachable,
)
from portal.metrics import observe_cloud_call

T = TypeVar("T")

# The SDK's loggers do not propagate; portal.settings.LOGGING names them.
SDK_LOGGERS = (
    "HuaweiCloud-SDK-BssintlClient",
    "HuaweiCloud-SDK-IamClient",
    "HuaweiCloud-SDK-EcsClient",
)

PAGE_LIMIT = 100  # ListSubCustomers answers at most 100 rows a call

LIST_SUB_CUSTOMERS = "ListSubCustomers"
ASSUME_AGENCY = "CreateTemporaryAccessKeyByAgency"
LIST_PROJECTS = "KeystoneListAuthProjects"
LIST_SERVERS = "ListServersDetails"
CREATE_SERVERS = "CreateServers"
SHOW_BUDGET = "ShowSubCustomerBudget"

# Which catalogue entry explains a refusal, by operation and HTTP status. The partner's own
# keys make the first two calls, so a refused key or a missing permission is the connection's;
# the temporary keys of an agency make the others, so a refusal there is the customer's side.
_REFUSALS = {
    LIST_SUB_CUSTOMERS: {401: "LNK-N003", 403: "LNK-N004"},
    SHOW_BUDGET: {401: "LNK-N003", 403: "LNK-N004"},
    ASSUME_AGENCY: {401: "LNK-N003", 403: "LNK-G002", 404: "LNK-G002"},
    LIST_PROJECTS: {401: "LNK-G004", 403: "LNK-G003", 404: "LNK-G003"},
    LIST_SERVERS: {401: "LNK-G004", 403: "LNK-G003", 404: "LNK-G003"},
    CREATE_SERVERS: {401: "LNK-G004", 403: "LNK-G003", 404: "LNK-G003"},
}
# BSS: "you have no right on this customer" — the account is not (or no longer) associated.
_NOT_ASSOCIATED = "CBC.5004"
# The API gateway found no API at this path: a wrong endpoint, not a missing object.
_NO_SUCH_API = ("APIGW.0101", "APIG.0101")

# Temporary keys are reused until shortly before they expire: assuming an agency is a write
# the cloud throttles hard, and a task may make several calls with the same agency.
CREDENTIALS_MARGIN = timedelta(minutes=3)
_CREDENTIALS_CACHE_SIZE = 2048
_credentials_cache: dict[tuple, TemporaryCredentials] = {}
_credentials_lock = threading.Lock()


def forget_cached_credentials() -> None:
    with _credentials_lock:
        _credentials_cache.clear()


def forget_credentials(creds: TemporaryCredentials) -> None:
    """Drop these temporary keys from the cache: the next call assumes the agency again (a
    check that failed must see the customer's next change, not keys issued before it)."""
    _forget(creds)


def forget_agency_credentials(customer_domain_id: str, agency_name: str) -> None:
    """Drop every cached key of this agency: the next call asks the cloud whether it may still
    be assumed (a clean-up check must not read an answer given before the agency was deleted)."""
    with _credentials_lock:
        for key in [k for k in _credentials_cache if k[2:] == (customer_domain_id, agency_name)]:
            del _credentials_cache[key]


def _cached(key: tuple) -> TemporaryCredentials | None:
    with _credentials_lock:
        creds = _credentials_cache.get(key)
    if creds and creds.expires_at - CREDENTIALS_MARGIN > timezone.now():
        return creds
    return None


def _remember(key: tuple, creds: TemporaryCredentials) -> None:
    now = timezone.now()
    with _credentials_lock:
        if len(_credentials_cache) >= _CREDENTIALS_CACHE_SIZE:
            for stale in [k for k, c in _credentials_cache.items() if c.expires_at <= now]:
                del _credentials_cache[stale]
            if len(_credentials_cache) >= _CREDENTIALS_CACHE_SIZE:
                _credentials_cache.clear()
        _credentials_cache[key] = creds


def _forget(creds: TemporaryCredentials) -> None:
    with _credentials_lock:
        for key in [k for k, c in _credentials_cache.items() if c is creds]:
            del _credentials_cache[key]


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - timezone.now()).total_seconds())


class _KeepRetryAfter(DefaultExceptionHandler):
    """The SDK's own error parsing, plus the `Retry-After` it otherwise drops."""

    def handle_exception(self, request, response):
        try:
            super().handle_exception(request, response)
        except ServiceResponseException as exc:
            exc.retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            raise


def _translate(exc: Exception, operation: str, params: dict) -> CloudError:
    if isinstance(exc, ServiceResponseException):
        status = exc.status_code
        error_code = exc.error_code or ""
        known = dict(status=status, error_code=error_code, request_id=exc.request_id, **params)
        codes = _REFUSALS[operation]
        if status == 429:
            return Throttled(operation, retry_after=getattr(exc, "retry_after", None), **known)
        if status == 401:
            return CredentialsRefused(operation, code=codes[401], **known)
        if status == 403:
            code = "LNK-G001" if error_code == _NOT_ASSOCIATED else codes[403]
            return AccessDenied(operation, code=code, **known)
        if status == 404 and 404 in codes and error_code not in _NO_SUCH_API:
            return NotFound(operation, code=codes[404], **known)
        return CloudFailure(operation, **known)
    # A read timeout escapes the SDK as requests' own exception; a refused connection and a
    # connect timeout arrive as the SDK's.
    if isinstance(exc, (ConnectionException, RequestTimeoutException, requests.RequestException)):
        return Unreachable(operation, **params)
    return CloudFailure(operation, **params)


def _where(project_id: str, region: str | None) -> str:
    return f"region {region}" if region else f"project {project_id}"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _sub_customer(info) -> SubCustomer:
    return SubCustomer(
        domain_id=info.customer_id or "",
        account_name=info.account_name or "",
        display_name=info.customer or info.account_name or "",
        association_type="" if info.association_type is None else str(info.association_type),
        associated_at=_parse_time(info.associated_on),
        frozen=bool(info.is_frozen),
        verified_status="" if info.verified_status is None else str(info.verified_status),
        contact_email=info.email or "",
    )


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value)) if value is not None else Decimal(0)
    except ArithmeticError:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def _server(server) -> CloudServer:
    flavor = server.flavor
    return CloudServer(
        id=server.id or "",
        name=server.name or "",
        status=server.status or "",
        flavor=(flavor.name or flavor.id or "") if flavor is not None else "",
    )


# How a call ended, for the cloud-call metric (portal.metrics): a label per kind of answer.
_CALL_OUTCOMES = {
    Unreachable: "unreachable",
    Throttled: "throttled",
    CredentialsRefused: "denied",
    AccessDenied: "denied",
    NotFound: "not_found",
}


class HuaweiCloudProvider:
    """One reseller's connection to Huawei Cloud (or to the sandbox, by its endpoints)."""

    def __init__(self, settings: ConnectionSettings):
        self.settings = settings
        self._bss: BssintlClient | None = None
        self._iam: IamClient | None = None

    def __repr__(self) -> str:
        return f"HuaweiCloudProvider(partner={self.settings.partner_domain_id!r})"

    # --- plumbing -----------------------------------------------------------------------------

    def _http_config(self) -> HttpConfig:
        config = HttpConfig.get_default_config()
        config.timeout = (self.settings.timeout_seconds, self.settings.timeout_seconds)
        # The SDK's own retries skip POSTs and lose the error body: one retry loop, ours.
        config.retry_times = 0
        return config

    def _build(self, client_class, credentials, endpoint: str):
        return (
            client_class.new_builder()
            .with_http_config(self._http_config())
            .with_credentials(credentials)
            .with_endpoints([endpoint])
            .with_exception_handler(_KeepRetryAfter())
            .build()
        )

    def _partner_credentials(self) -> GlobalCredentials:
        # Always with the domain id: without it the SDK would ask IAM for it first.
        s = self.settings
        return GlobalCredentials(s.access_key, s.secret_key, s.partner_domain_id)

    @property
    def bss(self) -> BssintlClient:
        if self._bss is None:
            self._bss = self._build(
                BssintlClient, self._partner_credentials(), self.settings.bss_endpoint
            )
        return self._bss

    @property
    def iam(self) -> IamClient:
        if self._iam is None:
            self._iam = self._build(
                IamClient, self._partner_credentials(), self.settings.iam_endpoint
            )
        return self._iam

    def _ecs_endpoint(self, region: str | None) -> str:
        endpoint = self.settings.ecs_endpoint
        if "{region}" in endpoint:
            if not region:
                raise ValueError("This connection's ECS endpoint needs the region of the project.")
            return endpoint.replace("{region}", region)
        return endpoint

    def _call(self, operation: str, fn: Callable[[], T], **params) -> T:
        def attempt() -> T:
            try:
                return fn()
            except (SdkException, requests.RequestException) as exc:
                raise _translate(exc, operation, params) from exc

        started = time.perf_counter()
        outcome = "failed"
        try:
            result = call_with_retry(
                attempt,
                operation=operation,
                max_attempts=self.settings.max_attempts,
                max_total_seconds=self.settings.max_total_seconds,
                base_delay=self.settings.retry_base_delay_seconds,
            )
            outcome = "ok"
            return result
        except CloudError as exc:
            outcome = _CALL_OUTCOMES.get(type(exc), "failed")
            raise
        finally:
            observe_cloud_call("huaweicloud", operation, outcome, time.perf_counter() - started)

    def _with_agency(self, operation: str, creds: TemporaryCredentials, fn: Callable[[], T], **p):
        params = {"account_id": creds.customer_domain_id, "agency": creds.agency_name, **p}
        try:
            return self._call(operation, fn, **params)
        except CredentialsRefused:
            _forget(creds)  # expired or revoked: the next call assumes the agency again
            raise

    # --- the partner's customers --------------------------------------------------------------

    def check_connection(self) -> None:
        self.list_sub_customers(offset=0, limit=1)

    def list_sub_customers(self, *, offset: int = 0, limit: int = PAGE_LIMIT) -> SubCustomerPage:
        if offset < 0 or not 1 <= limit <= PAGE_LIMIT:
            raise ValueError(f"offset must be >= 0 and limit 1..{PAGE_LIMIT}")
        return self._query_sub_customers(QuerySubCustomerListReq(offset=offset, limit=limit))

    def _query_sub_customers(self, query: QuerySubCustomerListReq, **params) -> SubCustomerPage:
        request = ListSubCustomersRequest(body=query)
        response = self._call(
            LIST_SUB_CUSTOMERS, lambda: self.bss.list_sub_customers(request), **params
        )
        items = tuple(_sub_customer(info) for info in response.customer_infos or [])
        return SubCustomerPage(items=items, total=response.count or 0, offset=query.offset)

    def iter_sub_customers(self) -> Iterator[SubCustomer]:
        # BSS pages by row offset from 0 (ECS, unlike it, by page number from 1).
        offset = 0
        while True:
            page = self.list_sub_customers(offset=offset, limit=PAGE_LIMIT)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def get_sub_customer(self, domain_id: str) -> SubCustomer | None:
        query = QuerySubCustomerListReq(customer_id=domain_id, offset=0, limit=PAGE_LIMIT)
        page = self._query_sub_customers(query, account_id=domain_id)
        for customer in page.items:
            if customer.domain_id == domain_id:
                return customer
        if page.total <= len(page.items):
            return None
        # The filter was not applied (more rows than one customer): look through them all.
        return next((c for c in self.iter_sub_customers() if c.domain_id == domain_id), None)

    def get_customer_budget(self, domain_id: str) -> CustomerBudget:
        request = ShowSubCustomerBudgetRequest(customer_id=domain_id)
        response = self._call(
            SHOW_BUDGET,
            lambda: self.bss.show_sub_customer_budget(request),
            account_id=domain_id,
        )
        return CustomerBudget(
            amount=_money(response.budget_amount),
            used=_money(response.used_amount),
            currency=response.currency or "",
            budget_type=response.budget_type or "",
        )

    # --- a customer's agency ------------------------------------------------------------------

    def assume_agency(
        self, *, customer_domain_id: str, agency_name: str, duration_seconds: int = 900
    ) -> TemporaryCredentials:
        s = self.settings
        key = (s.iam_endpoint, s.partner_domain_id, customer_domain_id, agency_name)
        cached = _cached(key)
        if cached is not None:
            return cached
        body = CreateTemporaryAccessKeyByAgencyRequestBody(
            auth=AgencyAuth(
                identity=AgencyAuthIdentity(
                    methods=["assume_role"],
                    assume_role=IdentityAssumerole(
                        agency_name=agency_name,
                        domain_id=customer_domain_id,  # the customer's account, not the partner's
                        duration_seconds=duration_seconds,
                    ),
                )
            )
        )
        request = CreateTemporaryAccessKeyByAgencyRequest(body=body)
        response = self._call(
            ASSUME_AGENCY,
            lambda: self.iam.create_temporary_access_key_by_agency(request),
            account_id=customer_domain_id,
            agency=agency_name,
        )
        credential = response.credential
        expires_at = _parse_time(credential.expires_at) if credential else None
        if credential is None or not credential.access or expires_at is None:
            raise CloudFailure(ASSUME_AGENCY, account_id=customer_domain_id, agency=agency_name)
        creds = TemporaryCredentials(
            access=credential.access,
            secret=credential.secret,
            security_token=credential.securitytoken,
            expires_at=expires_at,
            customer_domain_id=customer_domain_id,
            agency_name=agency_name,
        )
        _remember(key, creds)
        return creds

    def list_projects(self, creds: TemporaryCredentials) -> list[CloudProject]:
        credentials = GlobalCredentials(
            creds.access, creds.secret, creds.customer_domain_id
        ).with_security_token(creds.security_token)

        def call():
            client = self._build(IamClient, credentials, self.settings.iam_endpoint)
            try:
                return client.keystone_list_auth_projects(KeystoneListAuthProjectsRequest())
            finally:
                client.close()

        response = self._with_agency(LIST_PROJECTS, creds, call, where="any project")
        return [CloudProject(id=p.id, name=p.name) for p in response.projects or []]

    def _ecs(self, creds: TemporaryCredentials, project_id: str, region: str | None, method):
        # Always with the project id: without it the SDK would ask IAM for it first.
        credentials = BasicCredentials(creds.access, creds.secret, project_id).with_security_token(
            creds.security_token
        )
        endpoint = self._ecs_endpoint(region)

        def call():
            client = self._build(EcsClient, credentials, endpoint)
            try:
                return method(client)
            finally:
                client.close()

        return call

    def list_servers(
        self,
        creds: TemporaryCredentials,
        *,
        project_id: str,
        region: str | None = None,
        limit: int = 100,
        offset: int = 1,
    ) -> list[dict]:
        request = ListServersDetailsRequest(limit=limit, offset=offset)
        call = self._ecs(creds, project_id, region, lambda c: c.list_servers_details(request))
        response = self._with_agency(LIST_SERVERS, creds, call, where=_where(project_id, region))
        return [server.to_dict() for server in response.servers or []]

    def list_servers_page(
        self,
        creds: TemporaryCredentials,
        *,
        project_id: str,
        region: str | None = None,
        limit: int = 20,
    ) -> ServerPage:
        request = ListServersDetailsRequest(limit=limit, offset=1)
        call = self._ecs(creds, project_id, region, lambda c: c.list_servers_details(request))
        response = self._with_agency(LIST_SERVERS, creds, call, where=_where(project_id, region))
        items = tuple(_server(server) for server in (response.servers or [])[:limit])
        total = response.count if response.count is not None else len(items)
        return ServerPage(items=items, total=max(total, len(items)))

    def dry_run_create_server(
        self, creds: TemporaryCredentials, *, project_id: str, region: str | None = None
    ) -> bool:
        # The cloud checks the permission, the parameters and the quotas, then creates nothing.
        server = PrePaidServer(
            name="portal-permission-probe",
            image_ref="00000000-0000-0000-0000-000000000000",
            flavor_ref="s6.small.1",
            vpcid="00000000-0000-0000-0000-000000000000",
            nics=[PrePaidServerNic(subnet_id="00000000-0000-0000-0000-000000000000")],
            root_volume=PrePaidServerRootVolume(volumetype="SSD"),
            count=1,
        )
        request = CreateServersRequest(body=CreateServersRequestBody(dry_run=True, server=server))
        call = self._ecs(creds, project_id, region, lambda c: c.create_servers(request))
        self._with_agency(CREATE_SERVERS, creds, call, where=_where(project_id, region))
        return True
