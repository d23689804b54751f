"""Builds a partner account in the sandbox and the provider of its connection."""

from dataclasses import dataclass, replace

from linking.cloud import provider_for
from linking.cloud.huawei import HuaweiCloudProvider
from linking.cloud.provider import ConnectionSettings

REGION = "ap-southeast-1"
OTHER_REGION = "eu-west-101"


@dataclass
class Partner:
    domain_id: str
    name: str
    settings: ConnectionSettings
    provider: HuaweiCloudProvider

    def with_settings(self, **changes) -> HuaweiCloudProvider:
        return provider_for(replace(self.settings, **changes))


def connect(cloud, name: str = "partner-one", **changes) -> Partner:
    account = cloud.control.create_account(name, display_name="Partner One")
    settings = ConnectionSettings(
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=account["secret_key"],
        bss_endpoint=cloud.url,
        iam_endpoint=cloud.url,
        ecs_endpoint=cloud.url,
        timeout_seconds=2.0,
        max_attempts=4,
        max_total_seconds=6.0,
    )
    settings = replace(settings, **changes)
    return Partner(account["domain_id"], account["name"], settings, provider_for(settings))


def project_of(provider, creds, region: str = REGION) -> str:
    return next(p.id for p in provider.list_projects(creds) if p.name == region)
