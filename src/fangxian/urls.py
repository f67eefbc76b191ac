from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from fangxian.cases.api import CaseViewSet
from fangxian.control.api import DoorEventView
from fangxian.core.api import UnitViewSet
from fangxian.dashboard.views import DashboardViewSet, HomeView, ScreenView
from fangxian.people.api import PersonViewSet
from fangxian.testing.api import LatestNegativeView, RecallViewSet, ResultBatchView, TubeBatchView
from fangxian.vaccination.api import CoverageView, DoseViewSet, TargetViewSet, VaccinationPersonViewSet
from fangxian.venues.api import CoVisitView, RegisterView, ScanBatchView, VenueViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("persons", PersonViewSet, basename="person")
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("testing/recalls", RecallViewSet, basename="recall")
router.register("venues", VenueViewSet, basename="venue")
router.register("cases", CaseViewSet, basename="case")
router.register("vaccination/doses", DoseViewSet, basename="vaccination-dose")
router.register("vaccination/persons", VaccinationPersonViewSet, basename="vaccination-person")
router.register("vaccination/targets", TargetViewSet, basename="vaccination-target")

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("fangxian.core.urls")),
    path("persons/", include("fangxian.people.urls")),
    path("leads/", include("fangxian.leads.urls")),
    path("reports/", include("fangxian.reports.urls")),
    path("dashboard/", include("fangxian.dashboard.urls")),
    # A big screen's link: no login, the key is the credential (dashboard.models.Display).
    path("screen/<str:key>/", ScreenView.as_view(), name="screen"),
    path("control/", include("fangxian.control.urls")),
    path("sites/", include("fangxian.sites.urls")),
    path("venues/", include("fangxian.venues.urls")),
    path("cases/", include("fangxian.cases.urls")),
    path("vaccination/", include("fangxian.vaccination.urls")),
    path("testing/", include("fangxian.testing.urls")),
    # Browsers and tools ask for /favicon.ico whatever the page links.
    path("favicon.ico", RedirectView.as_view(url=static("fangxian/favicon.svg"), permanent=True)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/door-events/", DoorEventView.as_view(), name="api-door-events"),
    path("api/testing/tubes/", TubeBatchView.as_view(), name="api-testing-tubes"),
    path("api/testing/results/", ResultBatchView.as_view(), name="api-testing-results"),
    path("api/testing/latest-negative/", LatestNegativeView.as_view(), name="api-testing-latest-negative"),
    path("api/venues/scans/", ScanBatchView.as_view(), name="api-venues-scans"),
    path("api/venues/register/", RegisterView.as_view(), name="api-venues-register"),
    path("api/venues/covisit/", CoVisitView.as_view(), name="api-venues-covisit"),
    path("api/vaccination/coverage/", CoverageView.as_view(), name="api-vaccination-coverage"),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "fangxian.core.errors.bad_request"
handler403 = "fangxian.core.errors.permission_denied"
handler404 = "fangxian.core.errors.page_not_found"
handler500 = "fangxian.core.errors.server_error"
