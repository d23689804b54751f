from django.contrib import admin
from django.urls import include, path

from linking.views.funnel import admin_funnel_page
from portal import views
from portal.metrics import metrics_page

admin.site.site_header = "Partner Portal administration"
admin.site.site_title = "Partner Portal admin"

urlpatterns = [
    path("", include(("portal.page_urls", "portal"), namespace="portal")),
    path("accounts/sso/", include(("accounts.sso.urls", "sso"), namespace="sso")),
    path("accounts/", include(("accounts.urls", "accounts"), namespace="accounts")),
    path(
        "accounts/mfa/webauthn/",
        include(("accounts.mfa_urls", "otp_webauthn"), namespace="otp_webauthn"),
    ),
    path("", include(("linking.urls", "linking"), namespace="linking")),
    path("customer/", include(("linking.centre.urls", "customer"), namespace="customer")),
    path("consent/", include(("linking.consent.urls", "consent"), namespace="consent")),
    path("ops/", include(("linking.ops_urls", "ops"), namespace="ops")),
    path("cloud/connection/", include(("linking.cloud.urls", "cloud"), namespace="cloud")),
    path("webhooks/", include(("linking.webhooks.urls", "webhooks"), namespace="webhooks")),
    path("api/v1/", include(("linking.api.urls", "api"), namespace="api")),
    path("admin/linking/funnel/", admin_funnel_page, name="admin-funnel"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_page, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
