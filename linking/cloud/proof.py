"""Proving a link in the cloud: the checks that call it, each keeping the evidence of its calls.

Nothing here reads or writes the database: `LinkFacts` holds what the checks need (read before),
the provider of the reseller's connection makes the calls, and the answer is a list of checks as
plain dicts, ready to be stored on a verification run. The calls are made outside any
transaction (the provider refuses otherwise).

What each link type must show:

- billing: the customer is among the partner's associated customers, as a resale association;
- delegation and provisioning: the agency can be assumed; the project of every consented region
  is reachable; a read-only call of every consented service succeeds (a service without a probe
  says so and is not counted as proven); least privilege: no region outside the consent answers,
  and a dry-run write is refused at read-only and allowed where writing was consented.

Each call is kept as evidence: the operation, where it went, the answer (HTTP status, a short
summary, the cloud's error code and request id) and its time; never a key or a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils import timezone

from linking.cloud.provider import CloudProvider
from linking.cloud.types import (
    AccessDenied,
    CloudError,
    CloudProject,
    NotFound,
    SubCustomer,
    TemporaryCredentials,
    association_label,
)
from portal.codes import CODES
from portal.dates import local_moment
from portal.errors import PortalError

T = TypeVar("T")

BILLING, PROVISIONING, DELEGATION = "billing", "provisioning", "delegation"
MANAGE = "manage"
# A billing partner resells: the cloud reports a resale association as 2 (API reference) or 3
# (SDK); consultative sales (1) does not make the reseller the billing partner.
RESALE_ASSOCIATIONS = ("2", "3")

PASSED, FAILED, UNPROVEN = "passed", "failed", "unproven"


@dataclass(frozen=True)
class LinkFacts:
    """What the checks of one link need, read from the database before any call."""

    reference: str
    link_type: str
    customer_domain_id: str
    agency_name: str
    services: tuple[str, ...]
    regions: tuple[str, ...]
    access_level: str

    @property
    def may_write(self) -> bool:
        """Provisioning creates resources; delegation writes only at `manage`."""
        return self.link_type == PROVISIONING or self.access_level == MANAGE

    @property
    def level_label(self) -> str:
        return "manage" if self.may_write else "read-only"


class _Calls:
    """The evidence of one check: every call it made, with its answer and time."""

    def __init__(self) -> None:
        self.evidence: list[dict[str, Any]] = []

    def make(
        self, operation: str, where: str, fn: Callable[[], T], summary: Callable[[T], str]
    ) -> tuple[T | None, CloudError | None]:
        at = timezone.now()
        try:
            value = fn()
        except CloudError as error:
            self.evidence.append(
                {
                    "operation": operation,
                    "where": where,
                    "at": at.isoformat(),
                    "when": local_moment(at),
                    "status": error.status,
                    "answer": "refused" if isinstance(error, AccessDenied) else "failed",
                    "summary": error.message,
                    "code": error.code,
                    "error_code": error.error_code,
                    "request_id": error.request_id,
                }
            )
            return None, error
        self.evidence.append(
            {
                "operation": operation,
                "where": where,
                "at": at.isoformat(),
                "when": local_moment(at),
                "status": 200,
                "answer": "allowed",
                "summary": summary(value),
                "code": "",
                "error_code": "",
                "request_id": "",
            }
        )
        return value, None


def _check(
    name: str,
    label: str,
    calls: _Calls,
    *,
    ok: str = "",
    error: PortalError | None = None,
    code: str = "",
    unproven: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """A check as stored on a run: failed with `error` (its own code) or `code`, else passed."""
    if error is not None:
        outcome, code, detail, hint = FAILED, error.code, error.message, error.hint
    elif code:
        entry = CODES[code]
        outcome = UNPROVEN if unproven else FAILED
        detail, hint = entry.render(**params)
    else:
        outcome, detail, hint = PASSED, ok, ""
    return {
        "name": name,
        "label": label,
        "passed": outcome == PASSED,
        "outcome": outcome,
        "detail": detail,
        "code": code,
        "hint": hint,
        "stage": CODES[code].stage if code else "",
        "checked_at": timezone.now().isoformat(),
        "evidence": calls.evidence,
    }


def calls_made(checks: list[dict[str, Any]]) -> int:
    """How many calls to the cloud the checks made: their evidence, each call counted once."""
    return sum(
        1 for check in checks for call in check.get("evidence", ()) if not call.get("same_as")
    )


def check_no_connection(reseller: str, reference: str) -> dict[str, Any]:
    """The one check of a link whose reseller has no cloud connection: nothing passes."""
    return _check(
        "cloud_connection",
        "The reseller's cloud connection",
        _Calls(),
        code="LNK-Y007",
        reseller=reseller,
        reference=reference,
    )


def check_connection_unreadable(error: PortalError) -> dict[str, Any]:
    """The connection's stored keys cannot be read (LNK-N007, LNK-N008): nothing passes."""
    return _check("cloud_connection", "The reseller's cloud connection", _Calls(), error=error)


# --- billing ---------------------------------------------------------------------------------


def _association(provider: CloudProvider, facts: LinkFacts) -> dict[str, Any]:
    return association_read(provider, facts)[0]


def association_read(
    provider: CloudProvider, facts: LinkFacts
) -> tuple[dict[str, Any], SubCustomer | None]:
    """The billing check (the customer associated as resale), and the association as the
    cloud reported it (None when it did not). Verification, drift and the scope read of a
    billing link all judge the association here."""
    calls = _Calls()
    label = "The customer is associated with the partner account"
    customer, error = calls.make(
        "ListSubCustomers",
        f"account {facts.customer_domain_id}",
        lambda: provider.get_sub_customer(facts.customer_domain_id),
        lambda c: (
            f"associated as {association_label(c.association_type)}"
            if c
            else "not among the associated customers"
        ),
    )
    if error is not None:
        return _check("association", label, calls, error=error), None
    if customer is None:
        account_id = facts.customer_domain_id
        return _check("association", label, calls, code="LNK-G001", account_id=account_id), None
    if customer.association_type not in RESALE_ASSOCIATIONS:
        check = _check(
            "association",
            label,
            calls,
            code="LNK-G005",
            account_id=facts.customer_domain_id,
            found=association_label(customer.association_type),
            expected="resale",
        )
        return check, customer
    ok = f"Account {facts.customer_domain_id} is associated as a resale customer."
    return _check("association", label, calls, ok=ok), customer


# --- delegation and provisioning -------------------------------------------------------------


def _ecs_read(
    provider: CloudProvider, creds: TemporaryCredentials, project: CloudProject, calls: _Calls
) -> CloudError | None:
    _, error = calls.make(
        "ListServersDetails",
        f"region {project.name}",
        lambda: provider.list_servers(creds, project_id=project.id, region=project.name, limit=1),
        lambda servers: "answered" + (" (servers listed)" if servers else " (no servers)"),
    )
    return error


def _answered(_: object) -> str:
    return "answered"


# The read-only call that proves each service; a service not listed has no probe yet.
READ_PROBES: dict[str, Callable[..., CloudError | None]] = {"ECS": _ecs_read}


def _agency(provider: CloudProvider, facts: LinkFacts):
    calls = _Calls()
    creds, error = calls.make(
        "CreateTemporaryAccessKeyByAgency",
        f"agency {facts.agency_name} of account {facts.customer_domain_id}",
        lambda: provider.assume_agency(
            customer_domain_id=facts.customer_domain_id, agency_name=facts.agency_name
        ),
        lambda c: "temporary credentials issued",
    )
    label = f"The agency “{facts.agency_name}” can be assumed"
    if error is not None:
        return _check("agency", label, calls, error=error), None
    ok = f"Account {facts.customer_domain_id} lets your partner account assume the agency."
    return _check("agency", label, calls, ok=ok), creds


def _project_names(found: list[CloudProject] | None) -> str:
    return "projects: " + (", ".join(sorted(p.name for p in found or ())) or "none")


def _regions(provider: CloudProvider, facts: LinkFacts, creds: TemporaryCredentials):
    calls = _Calls()
    projects, error = calls.make(
        "KeystoneListAuthProjects",
        "the agency's projects",
        lambda: provider.list_projects(creds),
        _project_names,
    )
    label = "Every consented region is reachable"
    if error is not None:
        return _check("regions", label, calls, error=error), None
    by_region = {p.name: p for p in projects or ()}
    missing = [region for region in facts.regions if region not in by_region]
    if missing:
        check = _check(
            "regions",
            label,
            calls,
            code="LNK-G006",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            regions=", ".join(missing),
        )
        return check, by_region
    ok = f"The agency reaches {', '.join(facts.regions) or 'no region (none consented)'}."
    return _check("regions", label, calls, ok=ok), by_region


def _service(
    provider: CloudProvider,
    facts: LinkFacts,
    creds: TemporaryCredentials,
    projects: dict[str, CloudProject],
    service: str,
) -> dict[str, Any]:
    calls = _Calls()
    name, label = f"service:{service}", f"A read-only call to {service} succeeds"
    probe = READ_PROBES.get(service.upper())
    if probe is None:
        return _check(name, label, calls, code="LNK-Y010", unproven=True, service=service)
    reachable = [projects[r] for r in facts.regions if r in projects]
    if not reachable:
        return _check(
            name,
            label,
            calls,
            code="LNK-G006",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            regions=", ".join(facts.regions),
        )
    for project in reachable:
        if error := probe(provider, creds, project, calls):
            return _check(name, label, calls, error=error)
    where = ", ".join(p.name for p in reachable)
    return _check(name, label, calls, ok=f"{service} answered a read-only call in {where}.")


def _other_regions(
    provider: CloudProvider,
    facts: LinkFacts,
    creds: TemporaryCredentials,
    projects: dict[str, CloudProject],
    listed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Least privilege by region: a call where the customer did not consent is refused. When
    the agency reaches no other project, the call that listed its projects is the evidence."""
    calls = _Calls()
    label = "Regions not consented are refused"
    outside = [p for region, p in sorted(projects.items()) if region not in facts.regions]
    answered = []
    for project in outside:

        def call(p: CloudProject = project) -> list[dict]:
            return provider.list_servers(creds, project_id=p.id, region=p.name, limit=1)

        _, error = calls.make("ListServersDetails", f"region {project.name}", call, _answered)
        if error is None:
            answered.append(project.name)
        elif not isinstance(error, AccessDenied):
            return _check("other_regions", label, calls, error=error)
    if answered:
        return _check(
            "other_regions",
            label,
            calls,
            code="LNK-Y008",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            regions=", ".join(answered),
        )
    if outside:
        ok = f"Calls in {', '.join(p.name for p in outside)} were refused."
    else:
        ok = "The agency reaches no project outside the consented regions."
        # The same call as the regions check's, cited, not made (or counted) twice.
        calls.evidence.extend({**call, "same_as": "regions"} for call in listed or ())
    return _check("other_regions", label, calls, ok=ok)


def _write(
    provider: CloudProvider,
    facts: LinkFacts,
    creds: TemporaryCredentials,
    projects: dict[str, CloudProject],
) -> dict[str, Any]:
    """A dry-run server creation: allowed only where writing ECS was consented."""
    calls = _Calls()
    expect_allowed = facts.may_write and "ECS" in {s.upper() for s in facts.services}
    label = (
        "A dry-run write is allowed (manage)"
        if expect_allowed
        else f"A dry-run write is refused ({facts.level_label})"
    )
    reachable = [projects[r] for r in facts.regions if r in projects]
    if not reachable:
        return _check(
            "write",
            label,
            calls,
            code="LNK-G006",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            regions=", ".join(facts.regions),
        )
    project = reachable[0]
    _, error = calls.make(
        "CreateServers (dry run)",
        f"region {project.name}",
        lambda: provider.dry_run_create_server(creds, project_id=project.id, region=project.name),
        lambda allowed: "allowed; nothing was created (dry run)",
    )
    if error is None and not expect_allowed:
        return _check(
            "write",
            label,
            calls,
            code="LNK-Y009",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            where=f"region {project.name}",
            level=facts.level_label,
        )
    if error is not None and (expect_allowed or not isinstance(error, AccessDenied)):
        return _check("write", label, calls, error=error)
    ok = (
        f"Creating a server in {project.name} is allowed (dry run, nothing created)."
        if expect_allowed
        else f"Creating a server in {project.name} is refused."
    )
    return _check("write", label, calls, ok=ok)


def prove_link(provider: CloudProvider, facts: LinkFacts) -> list[dict[str, Any]]:
    """Every cloud check of the link, each with its evidence. Call outside a transaction."""
    if facts.link_type == BILLING:
        return [_association(provider, facts)]
    agency, creds = _agency(provider, facts)
    if creds is None:
        return [agency]
    regions, projects = _regions(provider, facts, creds)
    checks = [agency, regions]
    if projects is None:
        from linking.cloud.huawei import forget_credentials

        forget_credentials(creds)
        return checks
    checks += [_service(provider, facts, creds, projects, s) for s in facts.services]
    checks.append(_other_regions(provider, facts, creds, projects, regions["evidence"]))
    checks.append(_write(provider, facts, creds, projects))
    if any(c["outcome"] == FAILED for c in checks):
        # The next run assumes the agency afresh: the customer's fix shows at once.
        from linking.cloud.huawei import forget_credentials

        forget_credentials(creds)
    return checks


# --- clean-up: the cloud side of a link that ended ---------------------------------------------

# What the clean-up check of one ended link found.
GONE, STILL_THERE, UNKNOWN = "gone", "still_there", "unknown"


def cleanup_finding(check: dict[str, Any]) -> str:
    """Gone (the cloud refused or did not find it), still there, or unknown (the cloud did not
    answer, throttled, or the partner's own key failed): only a refusal proves a clean-up."""
    if check["outcome"] == PASSED:
        return GONE
    if check["code"] in ("LNK-Y020", "LNK-Y021"):
        return STILL_THERE
    return UNKNOWN


def prove_cleanup(provider: CloudProvider, facts: LinkFacts) -> dict[str, Any]:
    """The one clean-up check of an ended link, with the evidence of its call: for an agency,
    assuming it must be refused; for billing, the customer no longer among the associated
    customers. Call outside a transaction; credentials it gets are not kept for reuse."""
    calls = _Calls()
    if facts.link_type == BILLING:
        label = "The billing association is no longer reported"
        customer, error = calls.make(
            "ListSubCustomers",
            f"account {facts.customer_domain_id}",
            lambda: provider.get_sub_customer(facts.customer_domain_id),
            lambda c: (
                f"still associated as {association_label(c.association_type)}"
                if c
                else "not among the associated customers"
            ),
        )
        if error is not None:
            return _check("cleanup", label, calls, error=error)
        if customer is not None:
            return _check(
                "cleanup",
                label,
                calls,
                code="LNK-Y021",
                account_id=facts.customer_domain_id,
                reference=facts.reference,
            )
        ok = f"Account {facts.customer_domain_id} is no longer an associated customer."
        return _check("cleanup", label, calls, ok=ok)

    from linking.cloud.huawei import forget_agency_credentials

    # Keys issued before the customer deleted the agency would still answer: ask afresh.
    forget_agency_credentials(facts.customer_domain_id, facts.agency_name)
    label = f"The agency “{facts.agency_name}” can no longer be assumed"
    creds, error = calls.make(
        "CreateTemporaryAccessKeyByAgency",
        f"agency {facts.agency_name} of account {facts.customer_domain_id}",
        lambda: provider.assume_agency(
            customer_domain_id=facts.customer_domain_id, agency_name=facts.agency_name
        ),
        lambda c: "temporary credentials issued: the agency is still in place",
    )
    if creds is not None:
        from linking.cloud.huawei import forget_credentials

        forget_credentials(creds)
        return _check(
            "cleanup",
            label,
            calls,
            code="LNK-Y020",
            agency=facts.agency_name,
            account_id=facts.customer_domain_id,
            reference=facts.reference,
        )
    assert error is not None
    # Refused or not found: the agency is gone (or no longer trusts the partner account).
    if isinstance(error, (AccessDenied, NotFound)) and error.code == "LNK-G002":
        answer = ", ".join(str(p) for p in (error.status, error.error_code) if p) or "refused"
        ok = (
            f"Account {facts.customer_domain_id} refused to let your partner account assume "
            f"the agency ({answer}): it is deleted or no longer trusts your partner account."
        )
        return _check("cleanup", label, calls, ok=ok)
    return _check("cleanup", label, calls, error=error)
