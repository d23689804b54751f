from django.urls import path

from accounts import activity_views, key_views, mfa_views, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/change/", views.password_change, name="password-change"),
    path("password/change/done/", views.password_change_done, name="password-change-done"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/sent/", views.password_reset_done, name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/reset/complete/", views.password_reset_complete, name="password-reset-complete"),
    path("step-up/", views.step_up, name="step-up"),
    path("mfa/", mfa_views.factors, name="mfa"),
    path("mfa/verify/", mfa_views.verify, name="mfa-verify"),
    path("mfa/app/", mfa_views.totp_add, name="mfa-totp-add"),
    path("mfa/recovery/", mfa_views.recovery_new, name="mfa-recovery-new"),
    path("mfa/recovery/shown/", mfa_views.recovery_shown, name="mfa-recovery-shown"),
    path("mfa/<str:kind>/<int:pk>/remove/", mfa_views.factor_remove, name="mfa-remove"),
    path("switch/", views.switch_reseller, name="switch-reseller"),
    path("members/", views.member_list, name="member-list"),
    path("members/add/", views.member_add, name="member-add"),
    path("members/<int:pk>/role/", views.member_set_role, name="member-role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("members/<int:pk>/mfa-reset/", mfa_views.member_reset, name="member-mfa-reset"),
    path("api-keys/", key_views.api_key_list, name="api-key-list"),
    path("api-keys/new/", key_views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", key_views.api_key_revoke, name="api-key-revoke"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/change/", views.settings_update, name="settings-update"),
    path("activity/", activity_views.activity_list, name="activity"),
    path("activity/export.csv", activity_views.activity_csv, name="activity-csv"),
]
