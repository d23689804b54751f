from django.urls import path

from linking.batches import views as batch_views
from linking.views import customers, funnel, links, requests, wizard
from linking.views import exports as export_views
from linking.views import presets as preset_views

urlpatterns = [
    path("requests/", requests.request_list, name="request-list"),
    path("requests/new/", requests.request_new, name="request-new"),
    path("requests/check-account/", wizard.account_check, name="account-check"),
    path("requests/<int:pk>/", requests.request_detail, name="request-detail"),
    path("requests/<int:pk>/step/<int:step>/", wizard.request_wizard, name="request-wizard"),
    path("requests/<int:pk>/submit/", requests.request_submit, name="request-submit"),
    path("requests/<int:pk>/approve/", requests.request_approve, name="request-approve"),
    path("requests/<int:pk>/reject/", requests.request_reject, name="request-reject"),
    path("requests/<int:pk>/cancel/", requests.request_cancel, name="request-cancel"),
    path("requests/<int:pk>/resend/", requests.request_resend, name="request-resend"),
    path("approvals/", requests.approval_queue, name="approval-queue"),
    path("links/", links.link_list, name="link-list"),
    path("links/<int:pk>/", links.link_detail, name="link-detail"),
    path("links/<int:pk>/amend/", links.link_amend, name="link-amend"),
    path("links/<int:pk>/renew/", links.link_renew, name="link-renew"),
    path("links/<int:pk>/verify/", links.link_verify, name="link-verify"),
    path("links/<int:pk>/revoke/", links.link_revoke, name="link-revoke"),
    path("customers/", customers.customer_list, name="customer-list"),
    path("funnel/", funnel.funnel_page, name="funnel"),
    path("funnel/export.csv", funnel.funnel_csv, name="funnel-csv"),
    path("requests/export.csv", export_views.request_export, name="request-export"),
    path("links/export.csv", export_views.link_export, name="link-export"),
    path("requests/<int:pk>/preset/", preset_views.request_apply_preset, name="request-preset"),
    path("presets/", preset_views.preset_list, name="preset-list"),
    path("presets/new/", preset_views.preset_create, name="preset-create"),
    path("presets/<int:pk>/edit/", preset_views.preset_edit, name="preset-edit"),
    path("presets/<int:pk>/delete/", preset_views.preset_delete, name="preset-delete"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path(
        "customers/<int:pk>/scope/refresh/",
        customers.customer_scope_refresh,
        name="customer-scope-refresh",
    ),
    path("batches/", batch_views.batch_list, name="batch-list"),
    path("batches/upload/", batch_views.batch_upload, name="batch-upload"),
    path("batches/template.csv", batch_views.batch_template_csv, name="batch-template-csv"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/progress/", batch_views.batch_progress, name="batch-progress"),
    path("batches/<int:pk>/confirm/", batch_views.batch_confirm, name="batch-confirm"),
    path("batches/<int:pk>/retry/", batch_views.batch_retry, name="batch-retry"),
    path("batches/<int:pk>/result.csv", batch_views.batch_result_csv, name="batch-result-csv"),
    path("receipts/<str:reference>/download/", customers.receipt_download, name="receipt-download"),
]
