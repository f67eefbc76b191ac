from django.urls import path

from fangxian.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("file/", views.FileView.as_view(), name="file"),
    path("monthly/", views.MonthlyView.as_view(), name="monthly"),
    path("forms/", views.FormListView.as_view(), name="forms"),
    path("forms/new/", views.FormCreateView.as_view(), name="form_create"),
]
