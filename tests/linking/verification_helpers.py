"""What the verification tests do to the sandbox cloud and to a link (the fixtures that make
linked customers are in conftest.py)."""

from linking import services
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.models import VerificationRun
from tests.journeys import complete_cloud_side

REGION = "ap-southeast-1"
READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="read_only",
    duration_days=30,
)
Trigger = VerificationRun.Trigger


def change_cloud_side(cast, cloud, link, **changes):
    """The customer changes their side afterwards (the agency's roles, the association)."""
    complete_cloud_side(cast, cloud, link, **changes)
    forget_cached_credentials()


def delete_agency(cloud, link):
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))
    forget_cached_credentials()


def verify(link, trigger=Trigger.MANUAL, actor=None, attempt=1) -> VerificationRun:
    return services.link_verify(link_id=link.pk, trigger=trigger, actor=actor, attempt=attempt)
