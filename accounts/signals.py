"""The auditors group: read-only access to every object and its history in the admin."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

AUDITORS_GROUP = "auditors"
# Apps whose models (and their Historical* twins) auditors read; nothing of sessions, guardian's
# generic tables or the admin log, and never anything but view_*. The view_historical*
# permissions open the history pages (SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS), and
# view_auditevent the audit events, the audit trail and its export.
AUDITED_APPS = ("auth", "accounts", "linking", "portal")


def auditors_group_sync(*, apps=None, using: str = DEFAULT_DB_ALIAS):
    """Create the auditors group if missing and give it exactly the view_* permissions."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=AUDITORS_GROUP)
    perms = Permission.objects.using(using).filter(
        content_type__app_label__in=AUDITED_APPS, codename__startswith="view_"
    )
    group.permissions.set(list(perms))
    return group


def auditors_group_on_post_migrate(
    sender, app_config=None, using=DEFAULT_DB_ALIAS, apps=None, **kwargs
):
    # post_migrate fires once per app, after auth has created that app's permissions (auth's
    # handler is connected first), so syncing every time picks up the models of each app.
    # A flush (after each transactional test) sends post_migrate without an app registry.
    if apps is None:
        from django.apps import apps
    try:
        apps.get_model("auth", "Group")
        apps.get_model("auth", "Permission")
    except LookupError:
        return
    auditors_group_sync(apps=apps, using=using)
