"""The base world every test starts from: part of 惠济区 and the named users of DESIGN.md rule 10."""

import datetime

import pytest
from django.test import Client

from fangxian.core import services as core_services
from fangxian.core.choices import Role, UnitLevel
from fangxian.core.models import Grant, Unit, User
from fangxian.people.choices import DocumentType
from fangxian.people.documents import check_char
from fangxian.people.services import register_person

PASSWORD = "correct-horse-battery-staple"

# Valid resident IDs: the check character is computed by the code under test's own published algorithm,
# which test_documents.py checks against python-stdnum.
ALICE_DOC = "41010819900307123" + check_char("41010819900307123")
BOB_DOC = "41010819851120002" + check_char("41010819851120002")


@pytest.fixture(scope="session", autouse=True)
def flush_past_the_audit_triggers():
    """A transactional test ends with a flush, which TRUNCATEs every table, the audit tables too; on PostgreSQL
    their trigger refuses that (core 0006). The test database's superuser empties them the documented way."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = original


@pytest.fixture(scope="session", autouse=True)
def static_files_found_on_demand():
    """Every test client builds its own middleware, and WhiteNoise would list the ~1,000 files of the front-end
    packages each time (0.37 s a client here: most of the suite's time). Tests look static files up on demand."""
    from django.conf import settings

    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def var_under_tmp(settings, tmp_path):
    """What the platform keeps on disk (kept lists, exports, briefings, job progress) goes to the test's own
    folder, never the checkout's var/: two legs can run at once and nothing is left behind."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is the configured hasher (test_auth.py checks it); tests create many users, so they hash cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached aggregates (the dashboard's person counts) must not outlive the test database they came from, nor
    the memory of which day partitions exist: a test that runs on-commit callbacks inside its own rolled-back
    transaction would leave a partition remembered that is gone."""
    from django.core.cache import cache

    from fangxian.core import partitions

    cache.clear()
    yield
    partitions._known.clear()


@pytest.fixture
def world(db, tmp_path):
    # Built in one transaction, like any service call (a transactional test has no wrapping atomic block).
    from django.db import transaction

    with transaction.atomic():
        return build_world(tmp_path)


def build_world(tmp_path) -> dict:
    district, _ = core_services.load_county(code="410108")
    xincheng = Unit.objects.get(code="410108001")
    liuzhai = Unit.objects.get(code="410108002")
    jiangshan = Unit.objects.get(code="410108003")
    xc_community = Unit.objects.create(code="410108001001", name="金河社区", level=UnitLevel.COMMUNITY, parent=xincheng)
    xc_grid = Unit.objects.create(code="41010800100101", name="第1网格", level=UnitLevel.GRID, parent=xc_community)
    lz_community = Unit.objects.create(code="410108002001", name="银湾社区", level=UnitLevel.COMMUNITY, parent=liuzhai)
    lz_grid = Unit.objects.create(code="41010800200101", name="第1网格", level=UnitLevel.GRID, parent=lz_community)

    def user(username, role, unit):
        account = User.objects.create_user(username=username, password=PASSWORD, unit=unit, display_name=username)
        Grant.objects.create(user=account, role=role, unit=unit)
        return account

    system = core_services.service_account()
    users = {
        "district": user("district", Role.DISTRICT_COMMAND, district),
        "township_a": user("township_a", Role.TOWNSHIP_OFFICE, xincheng),
        "township_b": user("township_b", Role.TOWNSHIP_OFFICE, liuzhai),
        "grid": user("grid", Role.GRID_MEMBER, xc_community),
        "site": user("site", Role.SITE_STAFF, jiangshan),
        "clerk": user("clerk", Role.CLERK, district),
        "lab": user("lab", Role.SAMPLING_LAB, district),
        "venue": user("venue", Role.VENUE_STAFF, xincheng),
    }
    alice = register_person(
        actor=system,
        unit=xc_grid,
        name="新城甲",
        doc_type=DocumentType.RESIDENT_ID,
        doc_number=ALICE_DOC,
        phone="13812345678",
        address="郑州市惠济区新城街道金河社区1号楼",
    )
    bob = register_person(
        actor=system,
        unit=lz_grid,
        name="刘寨乙",
        doc_type=DocumentType.RESIDENT_ID,
        doc_number=BOB_DOC,
        phone="13987654321",
        address="郑州市惠济区刘寨街道银湾社区2号楼",
    )
    template = core_services.default_team_template()
    officer = users["district"]
    xc_team = core_services.create_team(actor=officer, unit=xc_community, template=template, name="金河社区包保组")
    core_services.add_team_member(actor=officer, team=xc_team, slot=template.slots.last(), name="金河医生")
    from fangxian.leads.models import Handover, ImportBatch, Lead
    from fangxian.leads.services import deadline_for

    stored = tmp_path / "新城推送.csv"
    stored.write_text(f"姓名,身份证号\n{alice.name},{alice.doc_number}\n", encoding="utf-8")
    batch = ImportBatch.objects.create(
        district=district,
        file_name="新城推送.csv",
        file_hash="0" * 64,
        stored_path=str(stored),
        uploaded_by=officer,
        mapping={"header_row": 0, "columns": {"name": 0, "doc_number": 1}, "headers": ["姓名", "身份证号"]},
    )
    from django.utils import timezone

    now = timezone.now()
    xc_lead = Lead.objects.create(
        person=alice,
        batch=batch,
        category="close_contact",
        source="city_push",
        received_at=now,
        deadline=deadline_for("close_contact", now),
        unit=xc_community,
        pushed_data={"姓名": alice.name, "身份证号": alice.doc_number},
    )
    Handover.objects.create(lead=xc_lead, to_unit=xc_community, by=officer)
    from fangxian.core.models import Job

    xc_job = Job.objects.create(
        kind="lead_import", title="新城街道的后台任务", unit=xincheng, created_by=users["township_a"], status="done"
    )
    from fangxian.leads.models import RiskArea

    area = RiskArea.objects.create(
        district=district, name="上海市浦东新区", level="high", declared_at=now, created_by=officer
    )
    from fangxian.core.notify import notify
    from fangxian.reports import briefings as report_briefings
    from fangxian.reports import services as report_services

    report_form = report_services.create_form(
        actor=officer,
        district=district,
        name="社区日报",
        due_time=datetime.time(17, 0),
        levels=[UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY],
        fields=[report_services.FieldSpec("remark", "情况说明", "text", required=False)],
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    xc_report = report_services.file_report(
        actor=users["grid"],
        form=report_form,
        unit=xc_community,
        day=yesterday,
        values={"remark": "金河社区无异常"},
        now=timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(10))),
    )
    notify(unit=xc_community, key="walk", title="金河社区：日报待报送")
    briefing = report_briefings.draft_briefing(actor=officer, district=district)
    from fangxian.control import services as control_services

    xc_measure = control_services.place_under_measure(
        actor=officer,
        person=alice,
        subject="close_contact",
        anchor_date=timezone.localdate() - datetime.timedelta(days=1),
        unit=xc_community,
    )
    from fangxian.sites import services as site_services
    from fangxian.sites.choices import ZONE_CHECKLIST
    from fangxian.sites.models import Room, Site

    xc_site = Site.objects.create(
        name="金河宾馆", address="金河社区1号", unit=xc_community, zones={key: True for key in ZONE_CHECKLIST}
    )
    for number in ("201", "202"):
        Room.objects.create(site=xc_site, floor=2, number=number)
    site_services.check_in(actor=officer, site=xc_site, person=alice, measure=xc_measure)
    xc_measure.door_sensor = "XC-DOOR-1"
    xc_measure.save(update_fields=["door_sensor"])
    from fangxian.testing import members as tube_members
    from fangxian.testing import services as testing_services
    from fangxian.testing.models import Campaign, CampaignZone, SamplingPoint

    campaign = Campaign.objects.create(
        district=district,
        name="第一轮全员核酸",
        starts_at=now - datetime.timedelta(hours=2),
        ends_at=now + datetime.timedelta(hours=22),
        status="running",
        created_by=officer,
    )
    CampaignZone.objects.create(campaign=campaign, unit=xincheng)
    CampaignZone.objects.create(campaign=campaign, unit=liuzhai)
    xc_point = SamplingPoint.objects.create(
        campaign=campaign, unit=xc_community, name="金河社区采样点", address="金河社区1号"
    )
    testing_services.register_tubes(
        actor=officer,
        point=xc_point,
        tubes=[testing_services.NewTube("XC000001", 10)],
        members=tube_members.frame([{"tube_code": "XC000001", "doc_number": alice.doc_number, "name": alice.name}]),
    )
    from fangxian.dashboard.services import open_display

    xc_display, _ = open_display(actor=officer, unit=xincheng, label="新城街道指挥屏", hours=24)
    from fangxian.venues import services as venue_services
    from fangxian.venues.models import VenueCategory

    xc_venue = venue_services.register_venue(
        actor=officer,
        name="金河超市",
        category=VenueCategory.objects.get(code="supermarket"),
        unit=xc_community,
        address="金河社区商业街1号",
        areas=["一楼", "二楼"],
    )
    xc_venue.staff.add(users["venue"])
    return {
        "xc_venue": xc_venue,
        "xc_display": xc_display,
        "report_form": report_form,
        "briefing": briefing,
        "xc_measure": xc_measure,
        "xc_site": xc_site,
        "xc_point": xc_point,
        "campaign": campaign,
        "xc_report": xc_report,
        "area": area,
        "xc_job": xc_job,
        "xc_batch": batch,
        "xc_lead": xc_lead,
        "xc_team": xc_team,
        "huiji": district,
        "xincheng": xincheng,
        "liuzhai": liuzhai,
        "jiangshan": jiangshan,
        "xc_community": xc_community,
        "xc_grid": xc_grid,
        "lz_community": lz_community,
        "lz_grid": lz_grid,
        "alice": alice,
        "bob": bob,
        "system": system,
        **users,
    }


@pytest.fixture
def run_worker(monkeypatch):
    """Run the real worker (django-tasks' database queue) over what is queued, inside the test's transaction.

    A worker process closes its connection between tasks; here that connection holds the test's open
    transaction, so only that one call is made a no-op. Claiming, running and storing results are real.
    """
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    def run():
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        call_command("worker", batch=True)
        monkeypatch.undo()

    return run


@pytest.fixture
def client_for(world):
    """A logged-in test client for one of the named users."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(world[name])
        return client

    return make
