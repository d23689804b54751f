"""The portal's pages plus one that writes a log line, for the log-context tests."""

import logging

from django.http import HttpResponse
from django.urls import include, path

from accounts.current import get_membership


def log_something(request):
    get_membership(request)
    logging.getLogger("linking.test").warning("something happened")
    return HttpResponse("ok")


urlpatterns = [path("log-something/", log_something), path("", include("portal.urls"))]
