from django.urls import path

from linking import batch_views, views
from linking.views import exports as export_views
from linking.views import presets as preset_views

urlpatterns = [
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/check-account/", views.account_check, name="account-check"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/step/<int:step>/", views.request_wizard, name="request-wizard"),
    path("requests/<int:pk>/submit/", views.request_submit, name="request-submit"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request-reject"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("requests/<int:pk>/resend/", views.request_resend, name="request-resend"),
    path("approvals/", views.approval_queue, name="approval-queue"),
    path("links/", views.link_list, name="link-list"),
    path("links/<int:pk>/", views.link_detail, name="link-detail"),
    path("links/<int:pk>/amend/", views.link_amend, name="link-amend"),
    path("links/<int:pk>/renew/", views.link_renew, name="link-renew"),
    path("links/<int:pk>/verify/", views.link_verify, name="link-verify"),
    path("links/<int:pk>/revoke/", views.link_revoke, name="link-revoke"),
    path("customers/", views.customer_list, name="customer-list"),
    path("requests/export.csv", export_views.request_export, name="request-export"),
    path("links/export.csv", export_views.link_export, name="link-export"),
    path("requests/<int:pk>/preset/", preset_views.request_apply_preset, name="request-preset"),
    path("presets/", preset_views.preset_list, name="preset-list"),
    path("presets/new/", preset_views.preset_create, name="preset-create"),
    path("presets/<int:pk>/edit/", preset_views.preset_edit, name="preset-edit"),
    path("presets/<int:pk>/delete/", preset_views.preset_delete, name="preset-delete"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("batches/", batch_views.batch_list, name="batch-list"),
    path("batches/upload/", batch_views.batch_upload, name="batch-upload"),
    path("batches/template.csv", batch_views.batch_template_csv, name="batch-template-csv"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/progress/", batch_views.batch_progress, name="batch-progress"),
    path("batches/<int:pk>/confirm/", batch_views.batch_confirm, name="batch-confirm"),
    path("batches/<int:pk>/retry/", batch_views.batch_retry, name="batch-retry"),
    path("batches/<int:pk>/result.csv", batch_views.batch_result_csv, name="batch-result-csv"),
    path("receipts/<str:reference>/download/", views.receipt_download, name="receipt-download"),
]
