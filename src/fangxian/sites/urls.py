from django.urls import path

from fangxian.sites import views

app_name = "sites"
urlpatterns = [
    path("", views.SiteListView.as_view(), name="list"),
    path("<uuid:uuid>/", views.SiteDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/<str:operation>/", views.SiteActionView.as_view(), name="action"),
]
