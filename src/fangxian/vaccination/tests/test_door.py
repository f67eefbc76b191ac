"""The venue door (电子卡口) and the registers take the vaccination status: unknown is never unvaccinated."""

import datetime

import pytest

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.vaccination.choices import DoseKind
from fangxian.vaccination.tests.factories import give, resident_id
from fangxian.venues.models import Scan

pytestmark = pytest.mark.django_db


def door(client, venue, number):
    return client.post(f"/venues/{venue.uuid}/door/", {"doc_number": number, "colour": "green"})


def test_the_door_shows_the_vaccination_the_registry_holds_and_records_it_with_the_scan(world, client_for):
    give(world, world["alice"], DoseKind.FIRST, "bibp", datetime.date(2021, 5, 1))
    client = client_for("venue")
    venue = world["xc_venue"]
    assert "已接种" in door(client, venue, ALICE_DOC).content.decode()
    assert "未查到接种记录" in door(client, venue, BOB_DOC).content.decode()
    stranger = resident_id(datetime.date(1988, 8, 8), area="110101")
    assert "未知（非本区登记人员）" in door(client, venue, stranger).content.decode()
    answers = dict(Scan.objects.values_list("doc_number", "vaccinated"))
    assert answers == {ALICE_DOC: "yes", BOB_DOC: "no", stranger: "unknown"}
