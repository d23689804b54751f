# Placeholder views, replaced by the real ones.
from django.http import Http404


def login_view(request, *args, **kwargs):
    raise Http404


def logout_view(request, *args, **kwargs):
    raise Http404


def password_change(request, *args, **kwargs):
    raise Http404


def password_change_done(request, *args, **kwargs):
    raise Http404


def password_reset(request, *args, **kwargs):
    raise Http404


def password_reset_done(request, *args, **kwargs):
    raise Http404


def password_reset_confirm(request, *args, **kwargs):
    raise Http404


def password_reset_complete(request, *args, **kwargs):
    raise Http404


def switch_reseller(request, *args, **kwargs):
    raise Http404


def member_list(request, *args, **kwargs):
    raise Http404


def member_add(request, *args, **kwargs):
    raise Http404


def member_set_role(request, *args, **kwargs):
    raise Http404


def member_remove(request, *args, **kwargs):
    raise Http404
