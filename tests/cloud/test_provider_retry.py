"""The one retry helper: which failures it retries, how long it waits, when it gives up."""

import pickle

import pytest

from linking.cloud import provider_for
from linking.cloud.provider import ConnectionSettings
from linking.cloud.retry import call_with_retry
from linking.cloud.types import CloudFailure, CredentialsRefused, NotFound, Throttled


class Clock:
    """Time that passes only when the helper sleeps."""

    def __init__(self):
        self.now = 0.0
        self.pauses = []

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def failing(*errors, result="done"):
    remaining = list(errors)
    calls = []

    def fn():
        calls.append(1)
        if remaining:
            raise remaining.pop(0)
        return result

    fn.calls = calls
    return fn


def run(fn, clock, **kwargs):
    return call_with_retry(
        fn, operation="ListSubCustomers", sleep=clock.sleep, clock=clock, **kwargs
    )


def test_throttling_waits_at_least_retry_after_then_succeeds():
    clock = Clock()
    fn = failing(Throttled("ListSubCustomers", retry_after=3.0, status=429))

    assert run(fn, clock) == "done"
    assert len(fn.calls) == 2
    assert 3.0 <= clock.pauses[0] <= 3.5


def test_server_errors_back_off_with_growing_jittered_pauses():
    clock = Clock()
    fn = failing(*[CloudFailure("ListSubCustomers", status=503) for _ in range(3)])

    assert run(fn, clock, max_attempts=4, base_delay=1.0, max_delay=8.0) == "done"
    assert [p <= cap for p, cap in zip(clock.pauses, (1.0, 2.0, 4.0), strict=True)] == [True] * 3


def test_attempts_are_capped_and_the_last_failure_is_raised():
    clock = Clock()
    fn = failing(*[CloudFailure("ListSubCustomers", status=500) for _ in range(10)])

    with pytest.raises(CloudFailure):
        run(fn, clock, max_attempts=3)
    assert len(fn.calls) == 3


def test_a_pause_past_the_total_time_is_not_taken():
    clock = Clock()
    fn = failing(*[Throttled("ListSubCustomers", retry_after=20.0) for _ in range(5)])

    with pytest.raises(Throttled) as throttled:
        run(fn, clock, max_total_seconds=30.0)
    assert len(fn.calls) == 2 and clock.now < 30.0
    assert throttled.value.retry_after == 20.0


@pytest.mark.parametrize(
    "error",
    [
        CredentialsRefused("ListSubCustomers", status=401),
        NotFound("CreateTemporaryAccessKeyByAgency", code="LNK-G002", status=404),
        CloudFailure("ListSubCustomers", status=400),
    ],
)
def test_refusals_and_bad_requests_are_not_retried(error):
    clock = Clock()
    fn = failing(error)

    with pytest.raises(type(error)):
        run(fn, clock)
    assert (len(fn.calls), clock.pauses) == (1, [])


def test_a_failure_survives_pickling_with_its_code_and_details():
    error = Throttled(
        "ListSubCustomers", retry_after=2.0, status=429, error_code="APIGW.0308", request_id="r-1"
    )

    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert type(again) is Throttled
    assert (again.code, again.stage, again.operation, again.retry_after) == (
        "LNK-N002",
        "connection",
        "ListSubCustomers",
        2.0,
    )
    assert (again.status, again.error_code, again.request_id) == (429, "APIGW.0308", "r-1")
    assert str(again) == str(error)


def test_an_ecs_endpoint_with_a_region_needs_the_region():
    provider = provider_for(
        ConnectionSettings(
            partner_domain_id="a" * 32,
            partner_account_name="partner",
            access_key="AK",
            secret_key="SK",
        )
    )

    assert provider._ecs_endpoint("la-south-2") == "https://ecs.la-south-2.myhuaweicloud.com"
    with pytest.raises(ValueError, match="region"):
        provider._ecs_endpoint(None)
