from django.urls import path

from fangxian.venues import views

app_name = "venues"
urlpatterns = [
    path("", views.VenueListView.as_view(), name="list"),
    path("new/", views.VenueCreateView.as_view(), name="create"),
    path("import/", views.VenueImportView.as_view(), name="import"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("covisit/", views.CoVisitView.as_view(), name="covisit"),
    path("scans/upload/", views.ScanUploadView.as_view(), name="scan_upload"),
    path("<uuid:uuid>/", views.VenueDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/door/", views.DoorView.as_view(), name="door"),
    path("<uuid:uuid>/poster.pdf", views.PosterView.as_view(), name="poster"),
    path("<uuid:uuid>/<str:operation>/", views.VenueActionView.as_view(), name="action"),
]
