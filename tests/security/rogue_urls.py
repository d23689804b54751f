"""A test-only URL configuration: the portal plus one view that forgot its checks.

The view answers any signed-in user about any request, without `reseller_required` or
`linking.permissions`; the matrix must flag it.
"""

from django.http import HttpResponse
from django.urls import include, path

from linking.models import LinkRequest
from portal.urls import urlpatterns as portal_urlpatterns


def rogue_approve(request, pk: int):
    req = LinkRequest.objects.get(pk=pk)
    return HttpResponse(f"approved {req.reference}")


rogue_patterns = [path("requests/<int:pk>/approve/", rogue_approve, name="request-approve")]

urlpatterns = [
    *portal_urlpatterns,
    path("rogue/", include((rogue_patterns, "rogue"), namespace="rogue")),
]
