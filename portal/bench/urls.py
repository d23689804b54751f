"""The portal's URLs plus the floor views; the URLconf of `portal.bench.settings` only."""

from django.urls import include, path

from portal.bench import floor
from portal.urls import *  # noqa: F403
from portal.urls import urlpatterns as portal_urlpatterns

floor_patterns = [
    path("requests/", floor.requests_floor, name="floor-requests"),
    path("approvals/", floor.approvals_floor, name="floor-approvals"),
    path("links/", floor.links_floor, name="floor-links"),
    path("customers/", floor.customers_floor, name="floor-customers"),
]

urlpatterns = [
    *portal_urlpatterns,
    path("bench/floor/", include((floor_patterns, "bench"), namespace="bench")),
]
