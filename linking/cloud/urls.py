"""The Cloud connection pages, under /cloud/connection/ (namespace `cloud`)."""

from django.urls import path

from linking.cloud import views

urlpatterns = [
    path("", views.connection_detail, name="connection"),
    path("change/", views.connection_edit, name="connection-edit"),
    path("test/", views.connection_test, name="connection-test"),
    path("test/status/", views.connection_test_status, name="connection-test-status"),
]
