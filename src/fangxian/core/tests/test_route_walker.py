"""Every page and API route, walked as a 刘寨街道 officer looking for a 新城街道 person.

Each route must be classified below. A new route that is not classified fails the walk, so no view can be added
without saying how it is scoped; a classified route that leaks the other township's record fails too.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from python_calamine import CalamineWorkbook

from fangxian.cases.tests.factories import by_case, by_recall, world_case
from fangxian.core.api import ScopedViewSet
from fangxian.core.views import ScopedMixin
from fangxian.vaccination.tests.factories import world_dose_import, world_target

# Routes that show no scoped data at all.
# Open without a login: the sign-in pages, the API's index and schema (login in production), and a big
# screen's link, whose key is its credential (dashboard/tests/test_displays.py).
PUBLIC = {"core:login", "core:logout", "set_language", "api-schema", "api-docs", "api-root", "screen"}

# Routes that address one object: the intruder must get 404. Values: (method, kwargs from the world).
OBJECT_ROUTES = {
    "core:unit_children": ("get", lambda w: {"code": w["xincheng"].code}),
    "core:user_detail": ("get", lambda w: {"pk": w["township_a"].pk}),
    "core:team_detail": ("get", lambda w: {"pk": w["xc_team"].pk}),
    "core:team_action": ("post", lambda w: {"pk": w["xc_team"].pk, "operation": "add"}),
    "core:user_action": ("post", lambda w: {"pk": w["township_a"].pk, "operation": "deactivate"}),
    "people:detail": ("get", lambda w: {"uuid": w["alice"].uuid}),
    "people:edit": ("get", lambda w: {"uuid": w["alice"].uuid}),
    "people:delete": ("post", lambda w: {"uuid": w["alice"].uuid}),
    "people:reveal": ("post", lambda w: {"uuid": w["alice"].uuid, "field": "doc_number"}),
    "core:job_detail": ("get", lambda w: {"uuid": w["xc_job"].uuid}),
    "core:job_file": ("get", lambda w: {"uuid": w["xc_job"].uuid}),
    "leads:detail": ("get", lambda w: {"uuid": w["xc_lead"].uuid}),
    "leads:riskarea": ("get", lambda w: {"uuid": w["area"].uuid}),
    "leads:riskarea_leads": ("post", lambda w: {"uuid": w["area"].uuid}),
    "leads:verify": ("post", lambda w: {"uuid": w["xc_lead"].uuid}),
    "leads:undo_handover": ("post", lambda w: {"uuid": w["xc_lead"].uuid}),
    "venues:detail": ("get", lambda w: {"uuid": w["xc_venue"].uuid}),
    "venues:action": ("post", lambda w: {"uuid": w["xc_venue"].uuid, "operation": "regenerate"}),
    "venues:door": ("get", lambda w: {"uuid": w["xc_venue"].uuid}),
    "venues:poster": ("get", lambda w: {"uuid": w["xc_venue"].uuid}),
    "venue-detail": ("get", lambda w: {"uuid": w["xc_venue"].uuid}),
    "cases:detail": ("get", by_case()),
    "cases:notice": ("get", by_case()),
    "cases:outbound": ("get", by_case()),
    "cases:entry_create": ("get", by_case()),
    "cases:contact_create": ("get", by_case()),
    "cases:action": ("post", lambda w: {**by_case()(w), "operation": "prefill"}),
    "cases:entry_action": ("post", lambda w: {**by_case("xc_entry")(w), "operation": "delete"}),
    "cases:contact_action": ("post", lambda w: {**by_case("xc_contact")(w), "operation": "household"}),
    "cases:from_recall": ("get", by_recall()),
    "case-detail": ("get", by_case()),
    "case-contacts": ("post", by_case()),
    "case-push": ("post", by_case()),
    "leads:batch": ("get", lambda w: {"uuid": w["xc_batch"].uuid}),
    "leads:batch_commit": ("post", lambda w: {"uuid": w["xc_batch"].uuid}),
    "leads:batch_mapping": ("get", lambda w: {"uuid": w["xc_batch"].uuid}),
    "leads:batch_errors": ("get", lambda w: {"uuid": w["xc_batch"].uuid}),
    "leads:batch_feedback": ("get", lambda w: {"uuid": w["xc_batch"].uuid}),
    "unit-detail": ("get", lambda w: {"code": w["xincheng"].code}),
    "person-detail": ("get", lambda w: {"uuid": w["alice"].uuid}),
    "person-reveal": ("post", lambda w: {"uuid": w["alice"].uuid, "field": "doc_number"}),
    "reports:form_create": ("get", lambda w: {}),  # the district's own: a township officer gets 404
    "dashboard-detail": ("get", lambda w: {"code": w["xc_community"].code}),
    "reports:briefing": ("get", lambda w: {"uuid": w["briefing"].uuid}),
    "control:place": ("get", lambda w: {"uuid": w["xc_lead"].uuid}),
    "sites:detail": ("get", lambda w: {"uuid": w["xc_site"].uuid}),
    "sites:action": ("post", lambda w: {"uuid": w["xc_site"].uuid, "operation": "activate"}),
    "control:measure": ("get", lambda w: {"uuid": w["xc_measure"].uuid}),
    "control:measure_action": ("post", lambda w: {"uuid": w["xc_measure"].uuid, "operation": "release"}),
    "reports:briefing_action": ("post", lambda w: {"uuid": w["briefing"].uuid, "operation": "issue"}),
    "reports:briefing_file": ("get", lambda w: {"uuid": w["briefing"].uuid, "kind": "docx"}),
    "testing:not_sampled": ("get", lambda w: {"uuid": w["campaign"].uuid, "code": w["xc_community"].code}),
    "testing:sampling": ("get", lambda w: {"uuid": w["xc_point"].uuid}),
    "testing:sampling_action": ("post", lambda w: {"uuid": w["xc_point"].uuid, "operation": "close"}),
    "testing:campaign_zone": ("post", lambda w: {"uuid": w["campaign"].uuid}),
    "dashboard:display_close": ("post", lambda w: {"pk": w["xc_display"].pk}),
    "vaccination:person": ("get", lambda w: {"uuid": w["alice"].uuid}),
    "vaccination:person_action": ("post", lambda w: {"uuid": w["alice"].uuid, "operation": "attempt"}),
    "vaccination:import_detail": ("get", lambda w: {"uuid": world_dose_import(w).uuid}),
    "vaccination:target_end": ("post", lambda w: {"uuid": world_target(w).uuid}),
    "vaccination-person-detail": ("get", lambda w: {"uuid": w["alice"].uuid}),
    "vaccination-person-attempts": ("post", lambda w: {"uuid": w["alice"].uuid}),
}

# Objects of the whole district that every township sees (a testing round): the page must show the other
# township's part of it no trace.
SHARED_OBJECT_ROUTES = {
    "testing:campaign": (lambda w: {"uuid": w["campaign"].uuid}, "金河社区采样点"),
    "vaccination:target": (lambda w: {"uuid": world_target(w).uuid}, "金河社区"),
    "vaccination-target-detail": (lambda w: {"uuid": world_target(w).uuid}, "410108001001"),
}

# Routes that take objects in the request body: the intruder names the other township's objects and must
# change nothing. Values: the POST data.
BODY_ROUTES = {
    "leads:handover": lambda w: {"lead": [str(w["xc_lead"].uuid)], "to_unit": w["lz_community"].pk},
    "reports:briefing_draft": lambda w: {"district": w["huiji"].code},
    "testing:key_group_create": lambda w: {"name": "越权人群", "interval_days": 3},
    "api-door-events": lambda w: {"device": "XC-DOOR-1"},
    "api-testing-tubes": lambda w: {
        "point": str(w["xc_point"].uuid),
        "tubes": [{"code": "XC000001", "pool_size": 10, "members": [{"doc_number": w["bob"].doc_number, "name": "x"}]}],
    },
    "api-testing-results": lambda w: {"results": [{"tube_code": "XC000001", "result": "阳性"}]},
    "testing:lookup": lambda w: {"doc_number": w["alice"].doc_number, "hours": 48},
    "venues:covisit": lambda w: {"cases": w["alice"].doc_number},
    "api-venues-covisit": lambda w: {"cases": [w["alice"].doc_number]},
    "api-venues-scans": lambda w: {
        "scans": [{"venue_code": w["xc_venue"].code, "doc_number": w["bob"].doc_number, "scanned_at": "2026-01-01"}]
    },
    "venues:scan_upload": lambda w: {},
    "vaccination:import": lambda w: {
        "file": SimpleUploadedFile(
            "接种.csv",
            f"姓名,身份证号,接种日期,剂次,生产企业\n新城甲,{w['alice'].doc_number},2021-05-01,第1剂,科兴\n".encode(),
        ),
        "person_unit": w["lz_community"].pk,
    },
    "venues:import": lambda w: {
        "file": SimpleUploadedFile(
            "场所.csv", "场所名称,类别,所属社区,地址\n越权书店,其他,410108001001,金河路9号\n".encode()
        )
    },
}

# Routes that list or search: the intruder's response must not contain any trace of the other township's
# records. Values: query string (a search aimed straight at the other township's person).
LIST_ROUTES = {
    "home": "",
    "core:focus": "?unit=410108001",
    "core:unit_tree": "",
    "core:unit_import": "",
    "core:team_list": "?unit=410108001001",
    "core:team_create": "?unit=410108001001",
    "core:team_coverage": "",
    "core:user_list": "?q=township_a",
    "core:user_create": "",
    "core:change_list": "",
    "core:job_list": "",
    "core:access_list": "",
    "people:list": "?q=新城甲",
    "people:export": "?q=新城甲",
    "people:create": "",
    "leads:list": "?q=新城甲",
    "leads:overdue": "",
    "leads:batches": "",
    "leads:upload": "",
    "leads:import_template": "",
    "venues:list": "?q=金河超市",
    "venues:create": "",
    "cases:list": "",
    "cases:create": "",
    "cases:chains": "",
    "cases:policy": "",
    "cases:push_all": "",
    "case-list": "",
    "case-chains": "",
    "venues:register": "",
    "api-venues-register": "",
    "venue-list": "",
    "leads:riskareas": "",
    "leads:riskarea_create": "",
    "reports:board": "",
    "reports:file": "",
    "reports:monthly": "",
    "reports:forms": "",
    "core:notifications": "",
    "dashboard:board": "",
    "dashboard:displays": "",
    "reports:briefings": "",
    "control:measures": "",
    "control:tests_due": "",
    "control:protocols": "",
    "control:checks": "",
    "control:board": "",
    "sites:list": "",
    "unit-list": "",
    "person-list": "?q=新城甲",
    "recall-list": "",
    "testing:campaigns": "",
    "testing:campaign_create": "",
    "testing:points": "",
    "testing:tubes": "",
    "testing:results": "",
    "testing:recalls": "?status=held",
    "testing:key_groups": "",
    "testing:lookup": "",
    "api-testing-latest-negative": "?doc_number=410108199003071239",
    "vaccination:coverage": "?unit=410108001001",
    "vaccination:roster": "",
    "vaccination:targets": "",
    "vaccination:populations": "",
    "vaccination-dose-list": "",
    "vaccination-person-list": "",
    "vaccination-target-list": "",
    "api-vaccination-coverage": "",
}


def named_routes():
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = workbook.get_sheet_by_index(0).to_python()
        return "\n".join(" ".join(str(cell) for cell in row) for row in rows)
    return content.decode("utf-8", errors="replace")


def markers(world, *, known: str = "") -> list[str]:
    """Traces of the other township's person and officer, less what the intruder typed (pages echo it back)."""
    alice = world["alice"]
    traces = [
        alice.name,
        str(alice.uuid),
        alice.doc_number,
        alice.masked_doc_number,
        alice.phone,
        "金河社区",
        "township_a",
    ]
    return [trace for trace in traces if trace not in known]


def test_every_route_is_classified():
    unclassified = (
        named_routes() - PUBLIC - OBJECT_ROUTES.keys() - LIST_ROUTES.keys() - BODY_ROUTES.keys()
    ) - SHARED_OBJECT_ROUTES.keys()
    assert not unclassified, f"classify these routes in the route walker: {sorted(unclassified)}"


def _url(name, kwargs=None):
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_other_township_gets_404_on_object_routes(name, world, client_for):
    method, kwargs = OBJECT_ROUTES[name]
    url = _url(name, kwargs(world))
    if name == "core:job_file":  # the file a job of 新城街道 wrote for its creator
        from fangxian.core.exporting import export_path

        export_path(world["xc_job"]).parent.mkdir(parents=True, exist_ok=True)
        export_path(world["xc_job"]).write_bytes(b"xlsx")
    intruder = client_for("township_b")
    response = getattr(intruder, method)(url, {"reason": "walk"} if method == "post" else None)
    # 404 where the township may do this kind of work but not on that record, 403 where it may not at all.
    assert response.status_code in {403, 404}, f"{name} answered {response.status_code} to another township"
    for marker in markers(world, known=url):
        assert marker not in body_text(response)
    # The walk is not vacuous: the owner of the record reaches the same route.
    owner = client_for(
        "township_a" if name.startswith(("core:user", "core:team", "people:", "person-")) else "district"
    )
    if name == "core:user_detail" or name == "core:user_action":
        owner = client_for("district")
    if name == "core:job_file":
        owner = client_for("township_a")  # its creator; anyone else, even above, gets 404
    if method == "get":
        assert owner.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(SHARED_OBJECT_ROUTES))
def test_other_township_sees_no_trace_of_the_others_part_of_shared_objects(name, world, client_for):
    kwargs, owners_part = SHARED_OBJECT_ROUTES[name]
    url = _url(name, kwargs(world))
    response = client_for("township_b").get(url)
    assert response.status_code == 200
    for marker in markers(world, known=url):
        assert marker not in body_text(response), f"{name} shows {marker!r} to another township"
    assert owners_part in body_text(client_for("township_a").get(url))  # the owner sees its own part


@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
def test_other_township_cannot_act_on_objects_named_in_the_body(name, world, client_for):
    from fangxian.testing.models import Tube

    lead = world["xc_lead"]
    intruder = client_for("township_b")
    if name.startswith("api-"):
        response = intruder.post(_url(name), BODY_ROUTES[name](world), content_type="application/json")
    else:
        response = intruder.post(_url(name), BODY_ROUTES[name](world))
    # An API answers 200 to a lab whose results name no tube of its own: they are kept as unknown codes.
    assert response.status_code in {200, 302, 403, 404}
    lead.refresh_from_db()
    assert lead.unit == world["xc_community"]
    tube = Tube.objects.get(code="XC000001")
    assert (tube.result, tube.member_count) == ("", 1)
    for marker in markers(world):
        assert marker not in body_text(response)


@pytest.mark.parametrize("name", sorted(LIST_ROUTES))
def test_other_township_sees_no_trace_on_list_routes(name, world, client_for):
    url = _url(name) + LIST_ROUTES[name]
    if name.startswith(("cases:", "case-")):
        world_case(world)  # alice's case, for the other township's list to leak
    # Some trace of the other township's person in the audit logs, so that the audit pages have it to leak.
    client_for("township_a").get(_url("people:detail", {"uuid": world["alice"].uuid}))
    response = client_for("township_b").get(url)
    assert response.status_code in {200, 302, 403}
    text = body_text(response)
    for marker in markers(world, known=LIST_ROUTES[name]):
        assert marker not in text, f"{name} shows {marker!r} to another township"


@pytest.mark.parametrize("name", ["people:list", "people:export", "person-list"])
def test_the_owner_does_find_the_person_the_intruder_could_not(name, world, client_for):
    text = body_text(client_for("township_a").get(_url(name) + LIST_ROUTES[name]))
    assert world["alice"].name in text


def test_every_view_over_data_derives_from_a_scoped_base():
    """Views not on a scoped base must be listed here with the reason they are safe."""
    allowed = {
        "LoginView": "no data",
        "FocusView": "looks the unit up through restrict(); stores only its code",
        "LogoutView": "no data",
        "HomeView": "counts through restrict() in get_context_data",
        "UnitImportView": "form choices restricted to the user's districts",
        "TeamCreateView": "form choices restricted; service checks CHANGE; save_then_verify",
        "BatchUploadView": "form choices restricted to the user's districts (Lead roles)",
        "LeadHandoverView": "leads looked up through restrict(CHANGE); all must be found or 403",
        "RiskAreaCreateView": "form choices restricted to the user's districts",
        "UserCreateView": "form choices restricted; service checks MANAGE_USERS",
        "PersonCreateView": "form choices restricted; save_then_verify",
        "VenueCreateView": "unit choices restricted (venues.manage); the service checks it; save_then_verify",
        "PushAllView": "the service restricts to the cases the user investigates (restrict) in their own district",
        "PolicyView": "the user's own district through Unit.objects.restrict(user, protocols.manage), else 403",
        "ChainsView": "cases through Case.objects.restrict(user); the graph names cases by number only; logged",
        "CaseCreateView": "the person looked up through Person.objects.restrict(user); the service checks "
        "cases.investigate on their unit; save_then_verify",
        "FileView": "units looked up through restrict(CHANGE), else 404; forms of the user's own districts",
        "FormCreateView": "the district through restrict(CHANGE), else 404",
        "BriefingDraftView": "the district through restrict(CHANGE), else 404",
        "ProtocolListView": "protocols are not personal data; choosing one checks CHANGE on the district",
        "DoorEventView": "the device is looked up among Measure.objects.restrict(user, CHANGE)",
        "TubeBatchView": "the point through SamplingPoint.objects.restrict(user, CHANGE), else 404",
        "ResultBatchView": "tubes matched only among the user's units (CHANGE scope) in ingest_results",
        "LatestNegativeView": "answers yes/no and times, no identity; needs a role that sees samples; logged",
        "ResultUploadView": "tubes matched only among the user's units (CHANGE scope) in ingest_results",
        "LookupView": "answers yes/no and times, no identity; needs a role that sees samples; logged",
        "CampaignCreateView": "zone choices restricted (CHANGE); the service checks CHANGE on the district",
        "KeyGroupCreateView": "the district through restrict(KEY_GROUPS_MANAGE), else refused; the service checks it",
        "ImportTemplateView": "an empty workbook of column titles; no data (leads.import only)",
        "SpectacularAPIView": "schema only",
        "SpectacularSwaggerView": "schema only",
        "APIRootView": "links only",
        "set_language": "no data",
        "RedirectView": "/favicon.ico to the static icon",
        "RegisterView": "venues through Venue.objects.restrict(user, venues.scans); scans only at their codes; logged",
        "CoVisitView": "venues.covisit over the user's district (service require); names only co-visitors; logged",
        "ScanUploadView": "writes scans only: a venue's staff only at their own venue's codes (allowed_codes)",
        "VenueImportView": "communities restricted to venues.manage scope in plan_venues; register_venue checks it",
        "ScanBatchView": "writes scans only: a venue's staff only at their own venue's codes (allowed_codes)",
        "CoverageView": "figures only, over scope_unit_ids(user, vaccination.view); the unit asked for via restrict() "
        "(the page and its API)",
        "ImportView": "the import is filed under the user's own vaccination.record unit; rows of persons outside "
        "that scope are refused in plan(); new persons go to a unit restricted to persons.change",
        "ImportDetailView": "the import through DoseImport.objects.restrict(user), else 404",
        "TargetListView": "targets through restrict(); setting one checks vaccination.targets on the user's district",
        "TargetView": "the target through restrict(); its lines only for the units in the reader's scope",
        "TargetEndView": "the target through restrict(user, vaccination.targets), else 404",
        "PopulationView": "figures through restrict(); unit choices restricted (vaccination.targets); service checks",
        "ScreenView": "aggregate figures of the live display link's unit and its subtree only; no user, no session",
    }
    offenders = []

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
                continue
            callback = pattern.callback
            view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
            name = view_class.__name__ if view_class else callback.__name__
            if view_class and issubclass(view_class, ScopedMixin | ScopedViewSet):
                continue
            if name not in allowed:
                offenders.append(name)

    walk(get_resolver().url_patterns)
    assert not offenders, f"views without a scoped base and without a stated reason: {sorted(set(offenders))}"
