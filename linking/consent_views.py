# Placeholder views, replaced by the real ones.
from django.http import Http404


def consent_receipt(request, *args, **kwargs):
    raise Http404


def consent_page(request, *args, **kwargs):
    raise Http404
