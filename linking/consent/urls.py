from django.urls import path

from linking.consent import views as consent_views
from linking.consent import withdrawal_views

urlpatterns = [
    path("receipt/<str:signed>/", consent_views.consent_receipt, name="receipt"),
    path(
        "receipt/<str:signed>/setup-done/",
        consent_views.consent_setup_done,
        name="receipt-setup-done",
    ),
    path("withdraw/<str:token>/", withdrawal_views.withdraw_page, name="withdraw"),
    path(
        "receipt/<str:signed>/download/",
        consent_views.consent_receipt_download,
        name="receipt-download",
    ),
    path(
        "receipt/<str:signed>/agencies.tf",
        consent_views.consent_receipt_terraform,
        name="receipt-terraform",
    ),
    path("<str:token>/", consent_views.consent_page, name="page"),
]
