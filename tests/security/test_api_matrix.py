"""The API's authorization matrix: every route of `/api/v1/` for every kind of key (each role,
another reseller's, a revoked one, one whose maker lost the role), GET and POST, with real
objects of both resellers, against the `api(...)` lines of `policy.py`. The pages' visitors
(sessions, no key) get a 401 on every API route: `test_matrix.py` walks them."""

import pytest

from tests.security import matrix
from tests.security.world import API_VISITORS


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # Hundreds of calls per key: the per-key rate limit is tested on its own (tests/api).
    settings.PORTAL_API_RATE = "100000/60"


@pytest.mark.parametrize("visitor", API_VISITORS)
def test_every_key_gets_what_the_policy_promises_on_every_api_route(shared_world, visitor):
    result = matrix.run_api_matrix(shared_world, visitors=[visitor])
    assert not result.violations, "\n".join(result.violations)
    assert result.endpoints >= 14 and result.requests > 0


def test_the_api_matrix_expects_every_kind_of_answer(shared_world):
    expected = {}
    for visitor in shared_world.api_visitors:
        for ep in matrix.walk_urls():
            rule = matrix.P.rule_for(ep.name)
            if rule is None or rule.access != matrix.P.API:
                continue
            for side, _obj, _kw in matrix._targets(rule, shared_world):
                for method in matrix.METHODS:
                    answer = str(matrix.expect_api(rule, visitor, side, method))
                    expected[answer] = expected.get(answer, 0) + 1
    assert set(expected) == {"allowed", "401", "403", "404", "405"}
