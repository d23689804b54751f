from django.urls import path
from django.views.generic import RedirectView

from . import console_views as console
from . import control_views as control
from . import huawei_api as api

urlpatterns = [
    # Huawei Cloud API (one sandbox host answers as BSS, IAM and ECS endpoints)
    path("v2/partners/sub-customers/query", api.list_sub_customers),
    path("v2/partners/sub-customers/budget", api.sub_customer_budget),
    path("v3.0/OS-CREDENTIAL/securitytokens", api.create_security_token),
    path("v3/auth/projects", api.auth_projects),
    path("v1/<str:project>/cloudservers/detail", api.list_servers),
    path("v1.1/<str:project>/cloudservers", api.create_servers),
    # Control API
    path("_sandbox/health", control.health),
    path("_sandbox/reset", control.reset),
    path("_sandbox/accounts", control.accounts),
    path("_sandbox/accounts/<str:domain_id>", control.account),
    path("_sandbox/associations", control.associations),
    path("_sandbox/associations/<str:partner>/<str:customer>", control.association),
    path("_sandbox/budgets", control.budgets),
    path("_sandbox/bulk-customers", control.bulk_customers),
    path("_sandbox/agencies", control.agencies),
    path("_sandbox/agencies/<str:customer>/<str:name>", control.agency),
    path("_sandbox/servers", control.servers),
    path("_sandbox/faults", control.faults),
    path("_sandbox/clock", control.clock_view),
    # Console
    path("console/", console.home, name="console-home"),
    path("console/signin/", console.signin, name="console-signin"),
    path("console/signout/", console.signout, name="console-signout"),
    path(
        "console/invitations/<str:partner_domain_id>/",
        console.invitation,
        name="console-invitation",
    ),
    path("console/agencies/new/", console.agency_create, name="console-agency-create"),
    path("console/agencies/<str:name>/edit/", console.agency_edit, name="console-agency-edit"),
    path(
        "console/agencies/<str:name>/delete/", console.agency_delete, name="console-agency-delete"
    ),
    path("", RedirectView.as_view(url="/console/")),
]

handler404 = "linking.cloud.sandbox.huawei_api.not_found"
