from django.urls import path

from linking.batches import directory_views
from linking.outbox import views as outbox_views

urlpatterns = [
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/requeue/", outbox_views.outbox_requeue, name="outbox-requeue"),
    path("directory/import/", directory_views.directory_import, name="directory-import"),
    path(
        "directory/import/template.csv",
        directory_views.directory_import_template,
        name="directory-import-template",
    ),
    path(
        "directory/import/<int:pk>/",
        directory_views.directory_import_detail,
        name="directory-import-detail",
    ),
    path(
        "directory/import/<int:pk>/confirm/",
        directory_views.directory_import_confirm,
        name="directory-import-confirm",
    ),
]
