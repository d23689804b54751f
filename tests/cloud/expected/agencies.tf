# Agencies for Northwind Cloud (P-100001), receipt RC-000007-ABC123, made 2026-12-06
# Apply it as an administrator of your Huawei Cloud account, with that account's
# access key in HW_ACCESS_KEY and HW_SECRET_KEY: terraform init, then terraform apply.
# Validity periods are counted from the day this file was made: download it again
# on the day you apply it.

terraform {
  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
    }
  }
}

provider "huaweicloud" {
  region = "ap-southeast-1"
}

# Delegation LK-000042
resource "huaweicloud_identity_agency" "agency_lk_000042" {
  name                  = "partner-P-100001-LK-000042"
  description           = "Delegation by Northwind Cloud (P-100001), link LK-000042, consented in the partner portal"
  delegated_domain_name = "northwind-partner"
  duration              = "90"

  project_role {
    project = "ap-southeast-1"
    roles   = ["ECS ReadOnlyAccess"]
  }

  project_role {
    project = "eu-west-101"
    roles   = ["ECS ReadOnlyAccess"]
  }

  domain_roles = ["OBS ReadOnlyAccess"]
}

# Provisioning LK-000043
resource "huaweicloud_identity_agency" "agency_lk_000043" {
  name                  = "partner-P-100001-LK-000043"
  description           = "Provisioning by Northwind Cloud (P-100001), link LK-000043, consented in the partner portal"
  delegated_domain_name = "northwind-partner"
  duration              = "FOREVER"

  project_role {
    project = "ap-southeast-3"
    roles   = ["ECS FullAccess", "VPC FullAccess"]
  }
}
