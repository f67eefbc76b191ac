"""Site staff see their own site: its rooms, its residents and their measures — not the other sites of their unit."""

import datetime

from django.utils import timezone

from fangxian.control import services as control
from fangxian.control.models import Measure
from fangxian.core.choices import Action
from fangxian.sites import services
from fangxian.sites.models import Site, Stay
from fangxian.sites.tests.test_rooms import make_site


def test_site_staff_see_only_their_own_site_and_its_residents(world, client_for):
    Measure.objects.all().delete()
    jiangshan = world["jiangshan"]
    mine, other = make_site(jiangshan, rooms=1), make_site(jiangshan, rooms=1)
    other.name = "另一个隔离点"
    other.save()
    mine.staff.add(world["site"])
    # bob lives in 刘寨; the district places him and alice, each in one of the two sites.
    placed = {}
    for person, site in ((world["alice"], mine), (world["bob"], other)):
        measure = control.place_under_measure(
            actor=world["district"],
            person=person,
            subject="close_contact",
            anchor_date=timezone.localdate() - datetime.timedelta(days=1),
            unit=jiangshan,
        )
        services.check_in(actor=world["district"], site=site, person=person, measure=measure)
        placed[person.pk] = measure
    staff = world["site"]
    assert list(Site.objects.restrict(staff)) == [mine]
    assert [stay.person for stay in Stay.objects.restrict(staff)] == [world["alice"]]
    assert list(Measure.objects.restrict(staff, Action.CHANGE)) == [placed[world["alice"].pk]]
    page = client_for("site").get("/sites/").content.decode()
    assert mine.name in page and "另一个隔离点" not in page
    assert client_for("site").get(f"/sites/{other.uuid}/").status_code == 404
    # Once alice leaves the site, her measure is no longer the site's business.
    services.check_out(actor=world["district"], stay=Stay.objects.get(person=world["alice"]), reason="hospital")
    assert not Measure.objects.restrict(staff).exists()
    # A township officer of the same unit still sees both sites.
    assert Site.objects.restrict(world["district"]).count() >= 2


def test_the_site_staffs_home_page_leads_with_their_own_hotel(world, client_for):
    mine = world["xc_site"]
    mine.staff.add(world["site"])
    page = client_for("site").get("/").content.decode()
    card = page.split('data-testid="my-site"')[1].split("</a>")[0]
    assert mine.name in card and str(mine.uuid) in page.split('data-testid="my-site"')[0].rsplit("<a", 1)[1]
    assert 'data-testid="my-site"' not in client_for("district").get("/").content.decode()
