"""The provider layer: the only code of the portal that talks to a cloud.

`provider_for(settings)` gives the provider of one reseller's connection; its methods answer
plain values (`linking.cloud.types`) or raise a typed `CloudError` that carries a portal code.
The SDK is imported only when a provider is made, so the sandbox package beside this one stays
light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linking.cloud.provider import CloudProvider, ConnectionSettings


def provider_for(settings: ConnectionSettings) -> CloudProvider:
    """The provider of one reseller's connection (Huawei Cloud, or the sandbox by endpoints)."""
    from linking.cloud.huawei import HuaweiCloudProvider

    return HuaweiCloudProvider(settings)
