from django.urls import path

from linking.outbox import views as ops_views

urlpatterns = [
    path("outbox/", ops_views.outbox, name="outbox"),
    path("outbox/requeue/", ops_views.outbox_requeue, name="outbox-requeue"),
    path("directory/import/", ops_views.directory_import, name="directory-import"),
    path(
        "directory/import/template.csv",
        ops_views.directory_import_template,
        name="directory-import-template",
    ),
    path(
        "directory/import/<int:pk>/",
        ops_views.directory_import_detail,
        name="directory-import-detail",
    ),
    path(
        "directory/import/<int:pk>/confirm/",
        ops_views.directory_import_confirm,
        name="directory-import-confirm",
    ),
]
