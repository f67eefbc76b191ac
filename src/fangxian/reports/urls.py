from django.urls import path

from fangxian.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("file/", views.FileView.as_view(), name="file"),
    path("monthly/", views.MonthlyView.as_view(), name="monthly"),
    path("forms/", views.FormListView.as_view(), name="forms"),
    path("forms/new/", views.FormCreateView.as_view(), name="form_create"),
    path("briefings/", views.BriefingListView.as_view(), name="briefings"),
    path("briefings/draft/", views.BriefingDraftView.as_view(), name="briefing_draft"),
    path("briefings/<uuid:uuid>/", views.BriefingDetailView.as_view(), name="briefing"),
    path("briefings/<uuid:uuid>/<str:operation>/", views.BriefingActionView.as_view(), name="briefing_action"),
    path("briefings/<uuid:uuid>/file.<str:kind>", views.BriefingFileView.as_view(), name="briefing_file"),
]
