# Placeholder views, replaced by the real ones.
from django.http import Http404


def request_list(request, *args, **kwargs):
    raise Http404


def request_new(request, *args, **kwargs):
    raise Http404


def account_check(request, *args, **kwargs):
    raise Http404


def request_detail(request, *args, **kwargs):
    raise Http404


def request_wizard(request, *args, **kwargs):
    raise Http404


def request_submit(request, *args, **kwargs):
    raise Http404


def request_approve(request, *args, **kwargs):
    raise Http404


def request_reject(request, *args, **kwargs):
    raise Http404


def request_cancel(request, *args, **kwargs):
    raise Http404


def approval_queue(request, *args, **kwargs):
    raise Http404


def link_list(request, *args, **kwargs):
    raise Http404


def link_detail(request, *args, **kwargs):
    raise Http404


def customer_list(request, *args, **kwargs):
    raise Http404


def customer_detail(request, *args, **kwargs):
    raise Http404
