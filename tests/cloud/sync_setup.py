"""A reseller connected to a partner account in the sandbox, with associated customers."""

from tests.cloud.connection_setup import connect_to_sandbox


def connected(cast, cloud):
    """The partner account in the sandbox (its domain id) of `cast.reseller`'s connection."""
    account, _ = connect_to_sandbox(cast, cloud)
    return account["domain_id"]


def associated_customer(cloud, partner_id, name, **fields):
    """A customer account in the sandbox, associated with the partner; its domain id."""
    domain_id = cloud.control.create_account(name, **fields)["domain_id"]
    cloud.control.associate(partner_id, domain_id, association_type=fields.pop("type", "1"))
    return domain_id
