from django.urls import path

from linking import consent_views

urlpatterns = [
    path("receipt/<str:signed>/", consent_views.consent_receipt, name="receipt"),
    path("<str:token>/", consent_views.consent_page, name="page"),
]
