from django.urls import path

from accounts import activity_views, key_views, team_views, views

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
    path("teams/", team_views.team_list, name="team-list"),
    path("teams/new/", team_views.team_create, name="team-create"),
    path("teams/<int:pk>/", team_views.team_detail, name="team-detail"),
    path("teams/<int:pk>/rename/", team_views.team_rename, name="team-rename"),
    path("teams/<int:pk>/members/add/", team_views.team_member_add, name="team-member-add"),
    path(
        "teams/<int:pk>/members/<int:user_pk>/remove/",
        team_views.team_member_remove,
        name="team-member-remove",
    ),
    path("teams/<int:pk>/delete/", team_views.team_delete, name="team-delete"),
    path("api-keys/", key_views.api_key_list, name="api-key-list"),
    path("api-keys/new/", key_views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", key_views.api_key_revoke, name="api-key-revoke"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/change/", views.settings_update, name="settings-update"),
    path("activity/", activity_views.activity_list, name="activity"),
    path("activity/export.csv", activity_views.activity_csv, name="activity-csv"),
]
