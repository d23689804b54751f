"""The webhook pages of a reseller's admins, under /webhooks/ (namespace `webhooks`)."""

from django.urls import path

from linking.webhooks import views

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/change/", views.endpoint_edit, name="edit"),
    path("<int:pk>/enabled/", views.endpoint_set_enabled, name="set-enabled"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
