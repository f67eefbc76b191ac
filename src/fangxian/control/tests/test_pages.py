import datetime
from decimal import Decimal

from django.utils import timezone

from fangxian.control.models import Measure, Protocol, ProtocolChoice
from fangxian.control.tests.conftest import board_rows
from fangxian.core.models import AccessRecord
from fangxian.leads import services as lead_services


def test_a_verified_lead_is_placed_under_a_measure_from_its_page(world, client_for):
    lead = world["xc_lead"]
    lead_services.verify_lead(actor=world["grid"], lead=lead, outcome="placed_under_measure")
    client = client_for("township_a")
    assert 'data-testid="place-measure"' in client.get(f"/leads/{lead.uuid}/").content.decode()
    form = client.get(f"/control/place/{lead.uuid}/").content.decode()
    assert "第九版防控方案" in form
    anchor = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        f"/control/place/{lead.uuid}/",
        {"subject": "close_contact", "anchor_date": anchor.isoformat(), "start_date": timezone.localdate().isoformat()},
    )
    measure = Measure.objects.get(lead=lead)
    assert response.status_code == 302 and measure.end_date == anchor + datetime.timedelta(days=10)
    page = client.get(f"/control/{measure.uuid}/").content.decode()
    assert AccessRecord.objects.filter(kind="detail", object_id=str(measure.uuid), actor=world["township_a"]).exists()
    assert "集中隔离" in page and "居家健康监测" in page and 'data-testid="release-blockers"' in page
    first = measure.tests.first()
    client.post(f"/control/{measure.uuid}/test/", {"test": first.pk, "result": "negative"})
    first.refresh_from_db()
    assert first.result == "negative"
    due = client.get("/control/tests/").content.decode()
    assert world["alice"].name not in due  # today's test is recorded


def test_a_future_anchor_is_shown_as_an_error_on_the_form(world, client_for):
    lead = world["xc_lead"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for("township_a").post(
        f"/control/place/{lead.uuid}/",
        {
            "subject": "close_contact",
            "anchor_date": tomorrow.isoformat(),
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400 and "晚于今天" in response.content.decode()
    assert not Measure.objects.exists()


def test_the_district_chooses_the_version_and_townships_read_it(world, client_for):
    client_for("district").post("/control/protocols/", {"protocol": "measures20"})
    assert ProtocolChoice.objects.get(district=world["huiji"]).protocol == Protocol.objects.get(code="measures20")
    page = client_for("township_b").get("/control/protocols/").content.decode()
    assert "二十条优化措施" in page and "改为执行此方案" not in page
    client_for("township_b").post("/control/protocols/", {"protocol": "ed9"})
    assert ProtocolChoice.objects.get(district=world["huiji"]).protocol.code == "measures20"


def test_the_board_lists_missed_checks_and_tests_and_the_checks_page_clears_them(world, client_for):
    from fangxian.control import services

    today = timezone.localdate()
    measure = services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="close_contact",
        anchor_date=today - datetime.timedelta(days=3),
        start_date=today - datetime.timedelta(days=2),
    )
    client = client_for("township_a")
    board = client.get("/control/board/").content.decode()
    assert any(world["alice"].name in row for row in board_rows(board, "漏测健康监测"))
    assert any(world["alice"].name in row for row in board_rows(board, "漏检核酸"))
    assert world["alice"].name not in client_for("township_b").get("/control/board/").content.decode()
    page = client.get("/control/checks/?slot=1").content.decode()
    assert f'name="t-1-{measure.uuid}"' in page
    saved = client.post("/control/checks/", {"slot": "1", f"t-1-{measure.uuid}": "36.6"})
    assert saved.status_code == 302 and measure.checks.get(day=today, slot=1).temperature == Decimal("36.6")
    bad = client.post("/control/checks/", {"slot": "1", f"t-1-{measure.uuid}": "99"})
    assert bad.status_code == 400 and "34.0" in bad.content.decode()


def test_checks_and_tests_due_are_listed_for_one_site_and_floor(world, client_for):
    """alice is checked into a room on the third floor; a neighbour of hers is under a measure at home."""
    from fangxian.control import services
    from fangxian.people.models import Person
    from fangxian.sites import services as site_services
    from fangxian.sites.models import Room

    officer, site = world["township_a"], world["xc_site"]
    anchor = timezone.localdate() - datetime.timedelta(days=1)
    neighbour = Person.objects.create(name="新城丙", doc_number="410108199001011239", unit=world["xc_grid"])
    at_home = services.place_under_measure(actor=officer, person=neighbour, subject="close_contact", anchor_date=anchor)
    in_site = services.place_under_measure(
        actor=officer, person=world["alice"], subject="close_contact", anchor_date=anchor
    )
    room = Room.objects.create(site=site, floor=3, number="399")
    site_services.check_in(actor=world["district"], site=site, person=world["alice"], measure=in_site, room=room)
    client = client_for("township_a")

    def names(url, testid):
        table = client.get(url).content.decode().split(f'data-testid="{testid}"')[1].split("</table>")[0]
        return {measure.person.name for measure in (at_home, in_site) if measure.person.name in table}

    assert names("/control/checks/?slot=1", "checks-table") == {"新城甲", "新城丙"}
    assert names(f"/control/checks/?slot=1&site={site.uuid}&floor=3", "checks-table") == {"新城甲"}
    assert names(f"/control/checks/?slot=1&site={site.uuid}&floor=4", "checks-table") == set()
    assert names(f"/control/tests/?site={site.uuid}", "tests-due-table") == {"新城甲"}
    # Another township's site narrows nothing and reveals nothing; a malformed one is ignored.
    assert "金河宾馆" not in client_for("township_b").get(f"/control/tests/?site={site.uuid}").content.decode()
    assert names("/control/tests/?site=not-a-uuid&floor=x", "tests-due-table") == {"新城甲", "新城丙"}


def test_the_home_page_counts_people_under_measures_free_rooms_and_overdue_items(world, client_for):
    """alice enters 金河宾馆 today (one of its two rooms); a door alert an hour old is past its half hour."""
    from fangxian.control import services
    from fangxian.sites import services as site_services

    officer = world["township_a"]
    measure = services.place_under_measure(
        actor=officer,
        person=world["alice"],
        subject="close_contact",
        anchor_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    site_services.check_in(actor=world["district"], site=world["xc_site"], person=world["alice"], measure=measure)
    services.set_door_sensor(actor=officer, measure=measure, device="XC-DOOR-1")

    def figure(page: str, testid: str) -> str:
        return page.split(f'data-testid="{testid}">')[1].split("<")[0]

    client = client_for("township_a")
    page = client.get("/").content.decode()
    assert figure(page, "under-measures") == "1 · 0 · 0"
    assert figure(page, "entering-leaving") == "1 / 0"
    assert figure(page, "free-rooms") == "1"
    before = int(figure(page, "overdue-items"))
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    services.door_alert(actor=world["district"], measures=Measure.objects.all(), device="XC-DOOR-1", at=an_hour_ago)
    assert int(figure(client.get("/").content.decode(), "overdue-items")) == before + 1
    elsewhere = client_for("township_b").get("/").content.decode()
    assert figure(elsewhere, "under-measures") == "0 · 0 · 0" and figure(elsewhere, "free-rooms") == "0"


def test_the_measure_page_shows_its_health_checks_and_links_the_person_for_who_may_see_them(world, client_for):
    from fangxian.control import services
    from fangxian.control.services import CheckEntry

    measure = services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="close_contact",
        anchor_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    services.record_checks(
        actor=world["township_a"], day=timezone.localdate(), slot=1, entries=[CheckEntry(measure, "37.9", "咳嗽")]
    )
    page = client_for("township_a").get(f"/control/{measure.uuid}/").content.decode()
    checks = page.split('data-testid="check-table"')[1].split("</table>")[0]
    assert "37.9" in checks and "咳嗽" in checks and "text-red" in checks
    assert f'href="/persons/{world["alice"].uuid}/" data-testid="measure-person"' in page
    site = world["xc_site"]
    site.staff.add(world["site"])
    from fangxian.sites import services as sites

    sites.check_in(actor=world["district"], site=site, person=world["alice"], measure=measure)
    staff_page = client_for("site").get(f"/control/{measure.uuid}/").content.decode()
    assert "37.9" in staff_page and "measure-person" not in staff_page  # site staff see no registry
