from django.urls import path

from fangxian.venues import views

app_name = "venues"
urlpatterns = [
    path("", views.VenueListView.as_view(), name="list"),
    path("new/", views.VenueCreateView.as_view(), name="create"),
    path("<uuid:uuid>/", views.VenueDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/<str:operation>/", views.VenueActionView.as_view(), name="action"),
]
