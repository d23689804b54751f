from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and resellers"

    def ready(self) -> None:
        from simple_history import register

        from accounts import checks  # noqa: F401  (registers the role check)
        from accounts.append_only import append_only_on_post_migrate
        from accounts.models import User
        from accounts.signals import auditors_group_on_post_migrate

        register(User, app=self.label, excluded_fields=["last_login", "password"])
        post_migrate.connect(auditors_group_on_post_migrate, dispatch_uid="accounts.auditors_group")
        post_migrate.connect(
            append_only_on_post_migrate, sender=self, dispatch_uid="accounts.append_only"
        )

        from django.contrib.auth.signals import user_logged_in

        from accounts.stepup import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.step_up_login")

        from accounts.sessions import on_user_logged_in as record_session

        user_logged_in.connect(record_session, dispatch_uid="accounts.session_login")

        from accounts.invitations import on_user_logged_in as tell_invitations

        user_logged_in.connect(tell_invitations, dispatch_uid="accounts.invitations_login")
