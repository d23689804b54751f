"""`/api/v1/`: the API's addresses (namespace `api`), its schema and its documentation page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from linking.api import views

urlpatterns = [
    path("codes/", views.code_list, name="code-list"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("links/", views.link_list, name="link-list"),
    path("links/<int:pk>/", views.link_detail, name="link-detail"),
    path("links/<int:pk>/amend/", views.link_amend, name="link-amend"),
    path("links/<int:pk>/renew/", views.link_renew, name="link-renew"),
    path("links/<int:pk>/revoke/", views.link_revoke, name="link-revoke"),
    path("requests/", views.request_collection, name="request-collection"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/dry-run/", views.request_dry_run, name="request-dry-run"),
    path("requests/<int:pk>/submit/", views.request_submit, name="request-submit"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("requests/<int:pk>/resend/", views.request_resend, name="request-resend"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request-reject"),
    path(
        "requests/<int:pk>/apply-preset/",
        views.request_apply_preset,
        name="request-apply-preset",
    ),
    path("approvals/", views.approval_queue, name="approval-queue"),
    path("presets/", views.preset_list, name="preset-list"),
    path("teams/", views.team_list, name="team-list"),
    path("batches/", views.batch_collection, name="batch-collection"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/rows/", views.batch_row_list, name="batch-rows"),
    path("batches/<int:pk>/confirm/", views.batch_confirm, name="batch-confirm"),
    # The schema and its reading page are public, like the error-code help page.
    path(
        "schema/",
        login_not_required(
            SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[])
        ),
        name="schema",
    ),
    path(
        "docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema",
                template_name="api/swagger_ui.html",
                authentication_classes=[],
                permission_classes=[],
            )
        ),
        name="docs",
    ),
]
