from django.urls import path

from fangxian.leads import views

app_name = "leads"

urlpatterns = [
    path("", views.LeadListView.as_view(), name="list"),
    path("overdue/", views.OverdueBoardView.as_view(), name="overdue"),
    path("handover/", views.LeadHandoverView.as_view(), name="handover"),
    path("batches/", views.BatchListView.as_view(), name="batches"),
    path("batches/upload/", views.BatchUploadView.as_view(), name="upload"),
    path("batches/template.xlsx", views.ImportTemplateView.as_view(), name="import_template"),
    path("batches/<uuid:uuid>/", views.BatchDetailView.as_view(), name="batch"),
    path("batches/<uuid:uuid>/commit/", views.BatchCommitView.as_view(), name="batch_commit"),
    path("batches/<uuid:uuid>/mapping/", views.BatchMappingView.as_view(), name="batch_mapping"),
    path("batches/<uuid:uuid>/errors.xlsx", views.BatchErrorFileView.as_view(), name="batch_errors"),
    path("batches/<uuid:uuid>/feedback.xlsx", views.BatchFeedbackView.as_view(), name="batch_feedback"),
    path("risk-areas/", views.RiskAreaListView.as_view(), name="riskareas"),
    path("risk-areas/new/", views.RiskAreaCreateView.as_view(), name="riskarea_create"),
    path("risk-areas/<uuid:uuid>/", views.RiskAreaDetailView.as_view(), name="riskarea"),
    path("risk-areas/<uuid:uuid>/leads/", views.RiskAreaLeadsView.as_view(), name="riskarea_leads"),
    path("<uuid:uuid>/", views.LeadDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/verify/", views.LeadVerifyView.as_view(), name="verify"),
    path("<uuid:uuid>/undo-handover/", views.LeadUndoHandoverView.as_view(), name="undo_handover"),
]
