from django.urls import path

from fangxian.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="board"),
    path("displays/", views.DisplayListView.as_view(), name="displays"),
    path("displays/<int:pk>/close/", views.DisplayCloseView.as_view(), name="display_close"),
]
