# Agency partner-P-100001-LK-000042 for LK-000042: run as an administrator of your account.
# The parameters are those of the IAM API operations; if your KooCLI version names
# one differently, "hcloud IAM <operation> --help" shows it.
set -eu
DOMAIN_ID=$(hcloud IAM KeystoneListAuthDomains --cli-region=ap-southeast-1 --cli-query='domains[0].id' --cli-output=tsv)
AGENCY_ID=$(hcloud IAM CreateAgency --cli-region=ap-southeast-1 --agency.domain_id="$DOMAIN_ID" --agency.name=partner-P-100001-LK-000042 --agency.trust_domain_name=northwind-partner --agency.duration=90 --agency.description='Delegation by Northwind Cloud (P-100001), link LK-000042, consented in the partner portal' --cli-query=agency.id --cli-output=tsv)
PROJECT_ID=$(hcloud IAM KeystoneListProjects --cli-region=ap-southeast-1 --domain_id="$DOMAIN_ID" --name=ap-southeast-1 --cli-query='projects[0].id' --cli-output=tsv)
ROLE_1=$(hcloud IAM KeystoneListPermissions --cli-region=ap-southeast-1 --display_name='ECS ReadOnlyAccess' --cli-query='roles[0].id' --cli-output=tsv)
hcloud IAM AssociateAgencyWithProjectPermission --cli-region=ap-southeast-1 --project_id="$PROJECT_ID" --agency_id="$AGENCY_ID" --role_id="$ROLE_1"
PROJECT_ID=$(hcloud IAM KeystoneListProjects --cli-region=ap-southeast-1 --domain_id="$DOMAIN_ID" --name=eu-west-101 --cli-query='projects[0].id' --cli-output=tsv)
hcloud IAM AssociateAgencyWithProjectPermission --cli-region=ap-southeast-1 --project_id="$PROJECT_ID" --agency_id="$AGENCY_ID" --role_id="$ROLE_1"
ROLE_2=$(hcloud IAM KeystoneListPermissions --cli-region=ap-southeast-1 --display_name='OBS ReadOnlyAccess' --cli-query='roles[0].id' --cli-output=tsv)
hcloud IAM AssociateAgencyWithDomainPermission --cli-region=ap-southeast-1 --domain_id="$DOMAIN_ID" --agency_id="$AGENCY_ID" --role_id="$ROLE_2"
