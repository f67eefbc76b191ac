from django.contrib.auth import views as auth_views
from django.urls import path

from fangxian.core import views

app_name = "core"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("focus/", views.FocusView.as_view(), name="focus"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("units/", views.UnitTreeView.as_view(), name="unit_tree"),
    path("units/import/", views.UnitImportView.as_view(), name="unit_import"),
    path("units/<str:code>/", views.UnitTreeView.as_view(), name="unit_children"),
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/new/", views.TeamCreateView.as_view(), name="team_create"),
    path("teams/coverage/", views.TeamCoverageView.as_view(), name="team_coverage"),
    path("teams/<int:pk>/", views.TeamDetailView.as_view(), name="team_detail"),
    path("teams/<int:pk>/<str:operation>/", views.TeamActionView.as_view(), name="team_action"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("users/<int:pk>/<str:operation>/", views.UserActionView.as_view(), name="user_action"),
    path("jobs/", views.JobListView.as_view(), name="job_list"),
    path("jobs/<uuid:uuid>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<uuid:uuid>/file.xlsx", views.JobFileView.as_view(), name="job_file"),
    path("audit/changes/", views.ChangeRecordListView.as_view(), name="change_list"),
    path("audit/access/", views.AccessRecordListView.as_view(), name="access_list"),
]
