from django.urls import path

from linking import ops_views

urlpatterns = [
    path("outbox/", ops_views.outbox, name="outbox"),
    path("outbox/requeue/", ops_views.outbox_requeue, name="outbox-requeue"),
]
