from django.urls import path

from fangxian.people import views

app_name = "people"

urlpatterns = [
    path("", views.PersonListView.as_view(), name="list"),
    path("export/", views.PersonExportView.as_view(), name="export"),
    path("new/", views.PersonCreateView.as_view(), name="create"),
    path("<uuid:uuid>/", views.PersonDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/edit/", views.PersonUpdateView.as_view(), name="edit"),
    path("<uuid:uuid>/delete/", views.PersonDeleteView.as_view(), name="delete"),
    path("<uuid:uuid>/reveal/<str:field>/", views.PersonRevealView.as_view(), name="reveal"),
]
