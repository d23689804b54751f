"""A tiny client of the sandbox's control API, for tests, demo seeding and benchmarks.

Stdlib only, and it imports nothing of the sandbox's Django app: the portal can use it.
"""

import json
import urllib.error
import urllib.request
from urllib.parse import quote


class SandboxControlError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SandboxControl:
    def __init__(self, base_url, token, timeout=60):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def __repr__(self):
        return f"SandboxControl({self.base_url!r})"

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the sandbox's, http(s)
            f"{self.base_url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("error", "")
            except ValueError:
                message = error.reason
            raise SandboxControlError(error.code, message) from None

    def health(self):
        return self._call("GET", "health")

    def reset(self):
        return self._call("POST", "reset", {})

    def create_account(self, name, **fields):
        """Returns {domain_id, name, access_key, secret_key}."""
        return self._call("POST", "accounts", {"name": name, **fields})

    def update_account(self, domain_id, **fields):
        """Change an account's display_name, email, frozen or verified_status."""
        return self._call("POST", f"accounts/{domain_id}", fields)

    def associate(self, partner_domain_id, customer_domain_id, association_type="1"):
        body = {
            "partner_domain_id": partner_domain_id,
            "customer_domain_id": customer_domain_id,
            "association_type": association_type,
        }
        return self._call("POST", "associations", body)

    def set_budget(self, partner_domain_id, customer_domain_id, **values):
        """Set what the partner API reports of an associated customer's budget this month:
        any of budget_amount, used_amount, currency."""
        body = {
            "partner_domain_id": partner_domain_id,
            "customer_domain_id": customer_domain_id,
            **values,
        }
        return self._call("POST", "budgets", body)

    def dissociate(self, partner_domain_id, customer_domain_id):
        return self._call("DELETE", f"associations/{partner_domain_id}/{customer_domain_id}")

    def bulk_customers(self, partner_domain_id, count, name_prefix="customer-"):
        body = {"partner_domain_id": partner_domain_id, "count": count, "name_prefix": name_prefix}
        return self._call("POST", "bulk-customers", body)

    def create_agency(
        self,
        customer_domain_id,
        name,
        trusted_domain_name,
        project_roles=None,
        domain_roles=(),
        duration="FOREVER",
        description="",
    ):
        body = {
            "customer_domain_id": customer_domain_id,
            "name": name,
            "trusted_domain_name": trusted_domain_name,
            "project_roles": project_roles or {},
            "domain_roles": list(domain_roles),
            "duration": duration,
            "description": description,
        }
        return self._call("POST", "agencies", body)

    def delete_agency(self, customer_domain_id, name):
        return self._call("DELETE", f"agencies/{customer_domain_id}/{quote(name, safe='')}")

    def create_server(self, customer_domain_id, region, name, status="ACTIVE", flavor=None):
        body = {
            "customer_domain_id": customer_domain_id,
            "region": region,
            "name": name,
            "status": status,
        }
        if flavor:
            body["flavor"] = flavor
        return self._call("POST", "servers", body)

    def add_fault(self, operation, kind, times=1, seconds=0, status=503):
        body = {
            "operation": operation,
            "kind": kind,
            "times": times,
            "seconds": seconds,
            "status": status,
        }
        return self._call("POST", "faults", body)

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def set_clock(self, now):
        """The sandbox's clock reads `now` (an aware datetime) from here on."""
        return self._call("POST", "clock", {"now": now.isoformat()})

    def real_clock(self):
        return self._call("DELETE", "clock")
