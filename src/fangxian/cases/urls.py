from django.urls import path

from fangxian.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseCreateView.as_view(), name="create"),
    path("chains/", views.ChainsView.as_view(), name="chains"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("push-all/", views.PushAllView.as_view(), name="push_all"),
    path("from-recall/<uuid:uuid>/", views.CaseFromRecallView.as_view(), name="from_recall"),
    path("<uuid:uuid>/", views.CaseDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/entries/new/", views.EntryCreateView.as_view(), name="entry_create"),
    path("<uuid:uuid>/contacts/new/", views.ContactCreateView.as_view(), name="contact_create"),
    path("<uuid:uuid>/notice/", views.NoticeView.as_view(), name="notice"),
    path("<uuid:uuid>/outbound.xlsx", views.OutboundView.as_view(), name="outbound"),
    path("<uuid:uuid>/<str:operation>/", views.CaseActionView.as_view(), name="action"),
    path("entries/<uuid:uuid>/<str:operation>/", views.EntryActionView.as_view(), name="entry_action"),
    path("contacts/<uuid:uuid>/<str:operation>/", views.ContactActionView.as_view(), name="contact_action"),
]
