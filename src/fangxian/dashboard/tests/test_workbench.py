"""The workbench: each role's tasks, by the work it may do, counted over its own scope, each linking to the list
that holds exactly those rows."""

import re

from fangxian.dashboard import workbench
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead


def task_keys(user) -> set[str]:
    return {task.key for task in workbench.tasks(user)}


def count_on(page: str, key: str) -> str:
    match = re.search(rf'data-testid="{key}-count">([^<]+)<', page)
    assert match, key
    return match.group(1)


def test_each_role_is_offered_the_tasks_of_its_own_work_only(world):
    grid = task_keys(world["grid"])
    assert {"task-open-leads", "task-overdue-leads", "task-checks", "task-tests"} <= grid
    assert not grid & {"task-tubes-closed", "task-tubes-shipped", "task-arrivals", "task-release"}
    lab = task_keys(world["lab"])
    assert {"task-tubes-closed", "task-tubes-shipped"} <= lab
    assert not lab & {"task-open-leads", "task-checks", "task-arrivals", "task-recalls"}
    site = task_keys(world["site"])
    assert {"task-arrivals", "task-cleaning", "task-checks"} <= site and "task-open-leads" not in site
    clerk = task_keys(world["clerk"])  # reads only: nothing to do
    assert clerk == set()
    assert {"task-reports", "task-release", "task-recalls"} <= task_keys(world["township_a"])


def test_the_open_lead_count_is_the_lead_list_it_links_to(world, client_for):
    client = client_for("township_a")
    page = client.get("/").content.decode()
    expected = Lead.objects.restrict(world["township_a"]).filter(status=LeadStatus.OPEN).count()
    assert expected > 0 and count_on(page, "task-open-leads") == str(expected)
    link = re.search(r'href="([^"]+)" data-testid="task-open-leads"', page).group(1).replace("&amp;", "&")
    listing = client.get(link).content.decode()
    assert listing.count('data-label="姓名"') == expected
    assert count_on(client_for("township_b").get("/").content.decode(), "task-open-leads") == "已清零"


def test_the_site_staff_see_a_person_sent_to_their_hotel_as_a_task_that_opens_the_hotel(world, client_for):
    from fangxian.sites import services
    from fangxian.sites.models import Stay

    site = world["xc_site"]
    site.staff.add(world["site"])
    Stay.objects.filter(person=world["alice"]).delete()
    services.send_to_site(actor=world["district"], site=site, measure=world["xc_measure"])
    page = client_for("site").get("/").content.decode()
    assert count_on(page, "task-arrivals") == "1"
    assert f'href="/sites/{site.uuid}/" data-testid="task-arrivals"' in page
    assert count_on(client_for("district").get("/").content.decode(), "task-arrivals") == "1"


def test_a_venues_staff_open_their_door_from_home_and_the_abnormal_count_is_the_registers(world, client_for):

    from fangxian.venues.services import scans
    from fangxian.venues.tests.test_pages import earlier_today

    moment = earlier_today(5)
    rows = [
        {
            "venue_code": world["xc_venue"].code,
            "doc_number": world["bob"].doc_number,
            "scanned_at": moment,
            "code_colour": "red",
        }
    ]
    scans.ingest_scans(actor=world["district"], scans=scans.frame(rows), source="gateway")
    page = client_for("venue").get("/").content.decode()
    assert f"/venues/{world['xc_venue'].uuid}/door/" in page and count_on(page, "task-venue-abnormal") == "1"
    register = client_for("venue").get("/venues/register/").content.decode()
    assert 'data-testid="total-abnormal">1<' in register
    assert count_on(client_for("township_b").get("/").content.decode(), "task-venue-abnormal") == "已清零"
