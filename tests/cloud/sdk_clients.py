"""The official SDK clients pointed at the sandbox, as the provider layer builds them."""

from huaweicloudsdkbssintl.v2 import BssintlClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkecs.v2 import EcsClient
from huaweicloudsdkiam.v3 import IamClient


def http_config():
    config = HttpConfig.get_default_config()
    config.timeout = (3, 20)
    config.retry_times = 0
    return config


def bss(url, account):
    credentials = GlobalCredentials(
        account["access_key"], account["secret_key"], account["domain_id"]
    )
    builder = BssintlClient.new_builder().with_http_config(http_config())
    return builder.with_credentials(credentials).with_endpoints([url]).build()


def iam(url, account):
    credentials = GlobalCredentials(
        account["access_key"], account["secret_key"], account["domain_id"]
    )
    builder = IamClient.new_builder().with_http_config(http_config())
    return builder.with_credentials(credentials).with_endpoints([url]).build()


def iam_temporary(url, credential, domain_id):
    credentials = GlobalCredentials(credential.access, credential.secret, domain_id)
    credentials = credentials.with_security_token(credential.securitytoken)
    builder = IamClient.new_builder().with_http_config(http_config())
    return builder.with_credentials(credentials).with_endpoints([url]).build()


def ecs_temporary(url, credential, project_id):
    credentials = BasicCredentials(credential.access, credential.secret, project_id)
    credentials = credentials.with_security_token(credential.securitytoken)
    builder = EcsClient.new_builder().with_http_config(http_config())
    return builder.with_credentials(credentials).with_endpoints([url]).build()
