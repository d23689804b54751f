"""A page under /consent/<token>/ that fails, with a secret in a local variable."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path


@login_not_required
def boom(request, token):
    # A secret only at run time (the source, which error reports quote, does not hold it).
    password = "hun" + "ter2"
    raise ValueError(f"boom ({len(password)})")


urlpatterns = [path("consent/<str:token>/boom/", boom), path("", include("portal.urls"))]
