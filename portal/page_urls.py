from django.urls import path

from portal import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("help/error-codes/", views.error_codes, name="error-codes"),
    path("language/", views.language_set, name="language-set"),
]
