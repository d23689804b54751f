"""The generated authorization matrix: every URL of the portal for every kind of visitor, GET and
POST, with real objects of both resellers, against the policy table of `policy.py`."""

import time

import pytest
from django.conf import settings

from tests.security import matrix
from tests.security.policy import APPROVE, POLICY, POST, reseller
from tests.security.world import VISITORS


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    # The matrix sends thousands of requests from one client: login lockout and rate limits
    # (tested on their own) would answer for the policy. Unknown settings are harmless.
    settings.AXES_ENABLED = False
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def cast():
    pytest.fail("the tests of this module share one cast: take `shared_world` instead of `cast`")


def _report(name: str, text: str) -> None:
    var = settings.VAR_DIR
    var.mkdir(parents=True, exist_ok=True)
    (var / name).write_text(text + "\n")


def test_every_url_pattern_is_classified_in_the_policy():
    problems = matrix.classify(matrix.walk_urls(), POLICY)
    assert not problems, "\n".join(problems)


def test_the_policy_names_no_url_that_is_gone():
    stale = matrix.stale_entries(matrix.walk_urls(), POLICY)
    assert not stale, f"POLICY lines for URLs that no longer exist: {stale}"


def test_every_rule_names_a_known_object_kind():
    assert not matrix.unknown_names(POLICY)


def test_the_walk_reads_the_url_configuration():
    names = {ep.name for ep in matrix.walk_urls()}
    assert {"healthz", "linking:request-approve", "consent:page", "ops:outbox-requeue"} <= names
    assert any(name.startswith("admin:") for name in names)
    wizard = next(ep for ep in matrix.walk_urls() if ep.name == "linking:request-wizard")
    assert wizard.kwargs == ("pk", "step")


# One test per visitor, so that test processes share the matrix; the world is built once per
# module (tests/security/conftest.py) and every request runs in a savepoint rolled back.
@pytest.mark.parametrize("visitor", VISITORS)
def test_every_visitor_gets_what_the_policy_promises_on_every_url(shared_world, visitor):
    result = matrix.run_matrix(shared_world, visitors=[visitor])
    assert not result.violations, "\n".join(result.violations)
    assert result.endpoints >= 40 and result.requests >= 2 * result.endpoints


def test_the_matrix_expects_every_kind_of_answer(shared_world):
    """What the visitors' tests above expect, all together: each kind of answer is exercised, so
    the matrix cannot pass by expecting only one."""
    started = time.monotonic()
    result = matrix.run_matrix(shared_world, send=False)
    seconds = time.monotonic() - started
    _report(
        "authorization-matrix.txt",
        f"{result.size}; worked out in {seconds:.1f} s; expected answers {result.by_expectation}",
    )
    assert not result.violations, "\n".join(result.violations)
    assert result.endpoints >= 40 and result.visitors >= 8
    assert set(result.by_expectation) == {
        matrix.ALLOWED,
        matrix.LOGIN,
        str(matrix.FORBIDDEN),
        str(matrix.NOT_FOUND),
        str(matrix.NOT_ALLOWED),
        # The API's routes: a page's visitor has no key.
        str(matrix.UNAUTHORIZED),
        # The customer centre, to every visitor without a customer session.
        matrix.CENTRE_SIGN_IN,
    }


@pytest.mark.parametrize("visitor", VISITORS)
def test_the_admin_lets_in_only_staff_and_auditors_only_read(shared_world, visitor):
    result = matrix.admin_matrix(shared_world, visitors=[visitor])
    _report("admin-matrix.txt", result.size)
    assert not result.violations, "\n".join(result.violations)
    assert result.endpoints and result.requests == result.endpoints


@pytest.fixture
def rogue_urlconf(settings):
    settings.ROOT_URLCONF = "tests.security.rogue_urls"
    return settings.ROOT_URLCONF


def test_a_new_url_nobody_classified_fails_the_matrix(rogue_urlconf):
    problems = matrix.classify(matrix.walk_urls(rogue_urlconf), POLICY)
    assert len(problems) == 1
    assert problems[0].startswith("rogue:request-approve (rogue/requests/<int:pk>/approve/)")
    assert "add one line for it to POLICY" in problems[0]


def test_a_view_without_its_checks_is_flagged_by_the_matrix(shared_world, rogue_urlconf):
    world = shared_world
    policy = {**POLICY, "rogue:request-approve": reseller(APPROVE, POST, obj="request")}
    result = matrix.run_matrix(
        world, urlconf=rogue_urlconf, policy=policy, only=["rogue:request-approve"]
    )
    assert result.endpoints == 1
    assert result.violations
    flagged = "\n".join(result.violations)
    # The other reseller's requests answer 200 instead of 404, a missing role 200 instead
    # of 403, a GET 200 instead of 405.
    assert "as other-reseller-admin: expected 404, got 200" in flagged
    assert "as viewer: expected 403, got 200" in flagged
    assert "GET" in flagged and "expected 405, got 200" in flagged
    # The same URL with the portal's own view is clean: the matrix flags the view, not the URL.
    clean = matrix.run_matrix(world, only=["linking:request-approve"])
    assert clean.endpoints == 1 and not clean.violations
