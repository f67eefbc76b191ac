"""The change log reads as an officer speaks: labels for codes, names for ids, local times — never raw values."""

import datetime

from django.utils import timezone

from fangxian.control import services as control
from fangxian.leads import services as leads


def changes_of(client, instance) -> str:
    page = client.get("/audit/changes/", {"object": str(instance.uuid)}).content.decode()
    return page.split('data-testid="change-table"')[1] if 'data-testid="change-table"' in page else page


def test_a_verified_lead_reads_as_labels_not_codes(world, client_for):
    lead = world["xc_lead"]
    leads.verify_lead(actor=world["grid"], lead=lead, outcome="no_measure_needed", note="已返回")
    page = changes_of(client_for("district"), lead)
    assert "待核查" in page and "已办结" in page and "已找到，无需管控" in page
    assert "open →" not in page and "no_measure_needed" not in page and "closed" not in page


def test_ids_read_as_names_and_times_as_local_times(world, client_for):
    measure = world["xc_measure"]
    end = (measure.end_date + datetime.timedelta(days=2)).isoformat()
    control.extend(actor=world["township_a"], measure=measure, days=2, reason="复核")
    page = changes_of(client_for("district"), measure)
    assert "管控措施" in page and "control.measure" not in page
    assert f"→ {end}" in page  # a date stays a date
    assert "新城街道·金河社区" in page and "新城甲" in page  # the unit and the person by name, not by id
    assert f"{measure.start_date:%m-%d}至" in page  # the measure's name is not masked as if it were a number

    from fangxian.core.history import readable
    from fangxian.sites.models import Stay

    meta = Stay._meta
    names: dict = {}
    at = timezone.make_aware(datetime.datetime(2026, 12, 1, 2, 30), datetime.UTC)
    assert readable(meta, "checked_out_at", at.isoformat(), names=names) == "2026-12-01 10:30"  # Beijing time
    assert readable(meta, "person_id", world["alice"].pk, names=names) == world["alice"].name
    assert readable(None, "unit_id", 999999, names=names) == 999999  # no model to name it: shown as written
    assert readable(meta, "site", "金河宾馆", names=names) == "金河宾馆"  # a name under a relation stays a name
    assert (
        readable(None, "after", {"override": True, "day": "2026-12-01"}, names=names)
        == "越过管控计划：是；日期：2026-12-01"
    )


def test_a_number_typed_into_a_note_is_masked_in_the_log(world):
    from fangxian.core.history import readable

    shown = readable(None, "note", f"已电话联系 {world['alice'].phone}，证件 {world['alice'].doc_number}", names={})
    assert world["alice"].phone not in shown and world["alice"].doc_number not in shown and "已电话联系" in shown
    assert readable(None, "day", "2026-12-01", names={}) == "2026-12-01"  # a date is not a number to hide
