from django.urls import path

from fangxian.control import views

app_name = "control"
urlpatterns = [
    path("", views.MeasureListView.as_view(), name="measures"),
    path("tests/", views.TestsDueView.as_view(), name="tests_due"),
    path("checks/", views.ChecksView.as_view(), name="checks"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("protocols/", views.ProtocolListView.as_view(), name="protocols"),
    path("place/<uuid:uuid>/", views.PlaceFromLeadView.as_view(), name="place"),
    path("<uuid:uuid>/", views.MeasureDetailView.as_view(), name="measure"),
    path("<uuid:uuid>/<str:operation>/", views.MeasureActionView.as_view(), name="measure_action"),
]
