from django.urls import path

from accounts import activity_views, invitation_views, key_views, session_views, views

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
    path("switch/", views.switch_reseller, name="switch-reseller"),
    path("members/", views.member_list, name="member-list"),
    path("members/add/", views.member_add, name="member-add"),
    path("members/<int:pk>/role/", views.member_set_role, name="member-role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("members/invite/", invitation_views.invitation_create, name="invitation-create"),
    path(
        "members/invitations/<int:pk>/resend/",
        invitation_views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "members/invitations/<int:pk>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "members/<int:pk>/sessions/end/",
        session_views.member_sessions_end,
        name="member-sessions-end",
    ),
    path("invitations/", invitation_views.my_invitations, name="my-invitations"),
    path("invitations/<str:token>/", invitation_views.invitation_open, name="invitation-open"),
    path("sessions/", session_views.session_list, name="session-list"),
    path("sessions/end/", session_views.session_end, name="session-end"),
    path("sessions/end-others/", session_views.session_end_others, name="session-end-others"),
    path("api-keys/", key_views.api_key_list, name="api-key-list"),
    path("api-keys/new/", key_views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", key_views.api_key_revoke, name="api-key-revoke"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/change/", views.settings_update, name="settings-update"),
    path("activity/", activity_views.activity_list, name="activity"),
    path("activity/export.csv", activity_views.activity_csv, name="activity-csv"),
]
