from django.urls import path

from accounts.sso import views

urlpatterns = [
    path("", views.sso_start, name="start"),
    path("callback/", views.sso_callback, name="callback"),
    path("settings/", views.provider_detail, name="provider"),
    path("settings/edit/", views.provider_edit, name="provider-edit"),
]
