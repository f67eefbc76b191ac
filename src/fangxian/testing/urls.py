from django.urls import path

from fangxian.testing import views

app_name = "testing"
urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("campaigns/<uuid:uuid>/", views.CampaignDetailView.as_view(), name="campaign"),
    path("campaigns/<uuid:uuid>/zone/", views.CampaignZoneView.as_view(), name="campaign_zone"),
    path("campaigns/<uuid:uuid>/not-sampled/<str:code>/", views.NotSampledView.as_view(), name="not_sampled"),
    path("points/", views.PointListView.as_view(), name="points"),
    path("points/<uuid:uuid>/", views.SamplingView.as_view(), name="sampling"),
    path("points/<uuid:uuid>/<str:operation>/", views.SamplingActionView.as_view(), name="sampling_action"),
    path("tubes/", views.TubeListView.as_view(), name="tubes"),
    path("results/", views.ResultUploadView.as_view(), name="results"),
    path("recalls/", views.RecallListView.as_view(), name="recalls"),
    path("key-groups/", views.KeyGroupOverdueView.as_view(), name="key_groups"),
    path("key-groups/new/", views.KeyGroupCreateView.as_view(), name="key_group_create"),
    path("lookup/", views.LookupView.as_view(), name="lookup"),
]
