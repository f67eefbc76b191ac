"""一人一档: the person page gathers the person's leads, measures, stays, checks and tests, each section as the
reader's role may see it and each line linking to where it is handled."""

from django.utils import timezone

from fangxian.control import services as control
from fangxian.control.services import CheckEntry


def section(page: str, testid: str) -> str:
    marker = f'data-testid="{testid}"'
    assert marker in page, testid
    return page.split(marker)[1].split("</section>")[0]


def test_the_office_sees_every_part_of_alices_file_linked(world, client_for):
    alice = world["alice"]
    measure = world["xc_measure"]
    control.record_checks(
        actor=world["township_a"], day=timezone.localdate(), slot=1, entries=[CheckEntry(measure, "36.6")]
    )
    page = client_for("township_a").get(f"/persons/{alice.uuid}/").content.decode()
    assert f'href="/leads/{world["xc_lead"].uuid}/"' in section(page, "file-leads")
    assert f'href="/control/{measure.uuid}/"' in section(page, "file-measures")
    assert "36.6" in section(page, "file-checks")
    assert "金河宾馆" in section(page, "file-stays")
    assert "XC000001" in section(page, "file-samples")  # the world's tube with alice in it


def test_a_clerk_reads_the_file_and_another_township_finds_no_person(world, client_for):
    page = client_for("clerk").get(f"/persons/{world['alice'].uuid}/").content.decode()
    assert "file-leads" in page and "file-measures" in page
    assert client_for("township_b").get(f"/persons/{world['alice'].uuid}/").status_code == 404


def test_each_section_is_left_out_for_a_role_that_may_not_see_its_rows(world):
    from fangxian.core.registry import person_file

    grid = {section.testid for section in person_file(world["alice"], world["grid"])}
    assert {"file-leads", "file-measures", "file-checks", "file-samples"} <= grid
    assert "file-stays" not in grid  # a grid team sees no quarantine site
    assert {section.testid for section in person_file(world["alice"], world["lab"])} == {"file-samples"}
    assert all(not section.entries for section in person_file(world["bob"], world["township_a"]))
