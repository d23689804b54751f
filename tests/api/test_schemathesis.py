"""Schemathesis against the API's schema, on the test database: every operation with generated
bodies and parameters, no 5xx, every answer as the schema says (status, headers, content type,
body). The schema is the checked-in one, which `test_schema.py` holds equal to the code's.
Examples are few (PORTAL_API_FUZZ_EXAMPLES, 8 by default) to keep the run near a minute; the
key is an initiator's, so approving answers its documented 403."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from portal.wsgi import application
from tests.api.conftest import make_key

EXAMPLES = int(os.environ.get("PORTAL_API_FUZZ_EXAMPLES", "8"))

schema = schemathesis.openapi.from_path(
    Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
)
schema.app = application
schema.config.generation.update(max_examples=EXAMPLES, allow_x00=True)


@pytest.fixture
def key_header(cast, settings):
    settings.PORTAL_API_RATE = "1000000/60"
    # As Django's test client does: the WSGI handler must not close the test's connection
    # (and its transaction) at the end of each call.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {make_key(cast, 'initiator')}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The cast and its key are made once per operation; the examples share them (and the rows
# they create), all in the test's transaction. The health checks left out are about the
# generator's own speed (large bodies such as a batch file), not about the API.
@schema.parametrize()
@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    deadline=None,
    # The same examples on every run: a failure in CI is one a developer can run again.
    derandomize=True,
)
def test_every_operation_answers_as_its_schema_says(case, key_header):
    # Not "every schema-valid request is accepted": the portal's rules refuse valid-looking
    # requests with their codes (another reseller's id is a 404, a frozen account a 422).
    case.call_and_validate(
        headers=key_header, excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
