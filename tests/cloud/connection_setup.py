"""A reseller's cloud connection built through the service, for the connection's tests."""

from linking.cloud import services

DOMAIN_ID = "0123456789abcdef0123456789abcdef"
ACCESS_KEY = "AKTESTNORTHWIND0001"
SECRET_KEY = "SecretOfTheNorthwindPartner0123456789xyz"


def save_connection(cast, *, actor=None, url="https://bss-intl.myhuaweicloud.com", **changes):
    values = {
        "partner_domain_id": DOMAIN_ID,
        "partner_account_name": "northwind-partner",
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "bss_endpoint": url,
        "iam_endpoint": url,
        "ecs_endpoint": url,
        "invitation_url": f"{url}/console/invitations/{DOMAIN_ID}/",
        **changes,
    }
    return services.cloud_connection_save(
        actor=actor or cast.admin, reseller=cast.reseller, **values
    )


def connect_to_sandbox(cast, cloud, *, name="northwind-partner", secret_key=None):
    """A partner account in the sandbox and the reseller's connection to it."""
    account = cloud.control.create_account(name, display_name="Northwind partner")
    connection = save_connection(
        cast,
        url=cloud.url,
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=secret_key or account["secret_key"],
    )
    return account, connection
