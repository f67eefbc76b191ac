from django.urls import path

from fangxian.vaccination import views

app_name = "vaccination"

urlpatterns = [
    path("", views.CoverageView.as_view(), name="coverage"),
    path("roster/", views.RosterView.as_view(), name="roster"),
    path("persons/<uuid:uuid>/", views.PersonView.as_view(), name="person"),
    path("persons/<uuid:uuid>/<str:operation>/", views.PersonActionView.as_view(), name="person_action"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/<uuid:uuid>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("targets/", views.TargetListView.as_view(), name="targets"),
    path("targets/<uuid:uuid>/", views.TargetView.as_view(), name="target"),
    path("targets/<uuid:uuid>/end/", views.TargetEndView.as_view(), name="target_end"),
    path("populations/", views.PopulationView.as_view(), name="populations"),
]
