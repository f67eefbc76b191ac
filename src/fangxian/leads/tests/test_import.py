import datetime
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from fangxian.core.models import ChangeRecord
from fangxian.leads import services, staging
from fangxian.leads.choices import BatchStatus, LeadCategory, LeadStatus
from fangxian.leads.models import Handover, ImportBatch, Lead, StagedRow
from fangxian.people.models import Person

from .conftest import PUSH_HEADER, resident_id
from .files import write_csv, write_encrypted_xlsx, write_ods, write_xls, write_xlsx, write_zip_bomb


def run_import(path, *extra):
    out = StringIO()
    try:
        call_command("leads", "import", str(path), "--unit", "410108", "--json", *extra, stdout=out)
    except CommandError:
        pass
    return json.loads(out.getvalue())


@pytest.mark.parametrize("writer", [write_xlsx, write_xls, write_ods, write_csv])
def test_every_format_imports_with_exact_counts(writer, pushed_rows, world, tmp_path):
    suffix = {write_xlsx: ".xlsx", write_xls: ".xls", write_ods: ".ods", write_csv: ".csv"}[writer]
    result = run_import(writer(tmp_path / f"push{suffix}", pushed_rows), "--commit")
    assert {k: result[k] for k in ("rows", "valid", "invalid", "matched_persons", "new_persons", "leads")} == {
        "rows": 3,
        "valid": 3,
        "invalid": 0,
        "matched_persons": 1,
        "new_persons": 2,
        # 新城甲 already has an open close-contact lead (the shared fixture): the push joins it.
        "leads": 2,
    }
    assert result["committed"] and result["errors"] == []


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_csv_in_the_encodings_excel_writes(encoding, pushed_rows, world, tmp_path):
    result = run_import(write_csv(tmp_path / "push.csv", pushed_rows, encoding=encoding), "--commit")
    assert result["leads"] == 2
    assert Person.objects.filter(name="王五").exists()


def test_without_commit_nothing_is_written(pushed_rows, world, tmp_path):
    before = Person.objects.count(), Lead.objects.count()
    result = run_import(write_xlsx(tmp_path / "push.xlsx", pushed_rows))
    assert not result["committed"] and result["new_persons"] == 2
    assert (Person.objects.count(), Lead.objects.count()) == before


def test_leads_are_routed_by_address_and_handed_over(pushed_rows, world, tmp_path):
    run_import(write_xlsx(tmp_path / "push.xlsx", pushed_rows), "--commit")
    by_name = {lead.person.name: lead for lead in Lead.objects.select_related("person", "unit")}
    assert by_name["新城甲"].unit == world["xc_community"]
    assert by_name["王五"].unit == world["lz_community"]
    # An address outside the district goes to the district queue for manual routing.
    assert by_name["赵六"].unit == world["huiji"]
    assert by_name["王五"].person.unit == world["lz_community"]
    # The initial assignment is the lead's own unit, and its change record says who and when.
    assert not Handover.objects.filter(lead=by_name["王五"]).exists()
    record = ChangeRecord.objects.get(object_id=str(by_name["王五"].uuid))
    assert record.after["unit_id"] == world["lz_community"].pk and record.actor.username == "system"
    assert by_name["新城甲"].category == LeadCategory.CLOSE_CONTACT
    assert (by_name["新城甲"].deadline - by_name["新城甲"].received_at).total_seconds() == 8 * 3600


def test_every_new_person_and_lead_has_a_change_record(pushed_rows, world, tmp_path):
    result = run_import(write_xlsx(tmp_path / "push.xlsx", pushed_rows), "--commit")
    records = ChangeRecord.objects.filter(reason__startswith="推送名单导入")
    assert records.filter(model="people.person").count() == result["new_persons"]
    assert records.filter(model="leads.lead").count() == result["leads"]
    assert {record.job_id for record in records} == {"cmd:leads-import:push.xlsx"}


def test_records_written_by_the_database_read_like_those_written_one_by_one(pushed_rows, world, tmp_path):
    run_import(write_xlsx(tmp_path / "push.xlsx", pushed_rows), "--commit")
    lead = Lead.objects.select_related("person").get(person__name="王五")
    person = lead.person
    person_record = ChangeRecord.objects.get(model="people.person", object_id=str(person.uuid))
    assert person_record.after == {
        "name": "王五",
        "doc_type": person.doc_type,
        "doc_number": person.doc_number,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "phone": person.phone,
        "address": person.address,
        "unit_id": person.unit_id,
        "category": person.category,
        "note": "",
    }
    assert person_record.unit_id == person.unit_id and person_record.before is None
    lead_record = ChangeRecord.objects.get(model="leads.lead", object_id=str(lead.uuid))
    assert lead_record.object_repr == f"{lead.get_category_display()} 王五"
    assert lead_record.after["deadline"] == lead.deadline.isoformat()
    assert lead_record.after["person_id"] == person.pk and lead_record.after["status"] == LeadStatus.OPEN
    # Keys written in bulk are time-ordered version-7 UUIDs, as valid as any other.
    assert person.uuid.version == 7 and lead.uuid.version == 7 and person.uuid.variant == uuid.RFC_4122
    assert Person.objects.get(uuid=str(person.uuid)) == person


def test_reimporting_the_same_file_changes_nothing(pushed_rows, world, tmp_path):
    path = write_xlsx(tmp_path / "push.xlsx", pushed_rows)
    run_import(path, "--commit")
    counts = Person.objects.count(), Lead.objects.count(), ChangeRecord.objects.count()
    again = run_import(path, "--commit")
    assert again["leads"] == 0 and again["new_persons"] == 0 and "already_imported" in again
    assert (Person.objects.count(), Lead.objects.count()) == counts[:2]


def test_an_overlapping_list_the_next_day_creates_no_duplicate_person_or_open_lead(pushed_rows, world, tmp_path):
    run_import(write_xlsx(tmp_path / "day1.xlsx", pushed_rows), "--commit")
    day2 = [*pushed_rows[:3], [9, "孙八", resident_id("41010819750505005"), "", "惠济区新城街道", "密接", "", ""]]
    day2.append([10, "王五", pushed_rows[3][2], "", "", "次密接", "", ""])
    result = run_import(write_xlsx(tmp_path / "day2.xlsx", day2), "--commit")
    assert result["new_persons"] == 1 and result["leads"] == 1
    assert Lead.objects.filter(person__name="王五", status=LeadStatus.OPEN).count() == 1
    assert Person.objects.filter(name="王五").count() == 1


def test_a_file_with_errors_writes_nothing_and_names_row_and_column(world, tmp_path):
    rows = [PUSH_HEADER, [1, "好人", resident_id("41010819900101001")], [2, "坏号", "4.10108E+17"]]
    before = Person.objects.count()
    result = run_import(write_xlsx(tmp_path / "bad.xlsx", rows, merge_title=False), "--commit")
    assert not result["committed"] and result["invalid"] == 1
    assert result["errors"][0]["row"] == 3 and result["errors"][0]["column"] == "公民身份号码"
    assert Person.objects.count() == before


def test_the_valid_rows_only_when_the_user_chooses(world, tmp_path):
    rows = [PUSH_HEADER, [1, "好人", resident_id("41010819900101001")], [2, "坏号", "4.10108E+17"]]
    with transaction.atomic():
        batch, plan = services.stage_batch(
            actor=world["district"],
            district=world["huiji"],
            path=write_xlsx(tmp_path / "bad.xlsx", rows),
            file_name="bad.xlsx",
        )
    with pytest.raises(services.ValidationError):
        services.commit_batch(actor=world["district"], batch=batch)
    summary = services.commit_batch(actor=world["district"], batch=batch, valid_only=True)
    assert summary["leads"] == 1 and Person.objects.filter(name="好人").exists()


def test_an_import_that_fails_half_way_leaves_nothing(pushed_rows, world, tmp_path, monkeypatch):
    with transaction.atomic():
        batch, _ = services.stage_batch(
            actor=world["district"],
            district=world["huiji"],
            path=write_xlsx(tmp_path / "p.xlsx", pushed_rows),
            file_name="p.xlsx",
        )
    real_insert = staging.insert_select

    def crash_on_leads(model, *args, **kwargs):
        if model is Lead:  # the persons and their change records are written by now
            raise RuntimeError("process killed")
        return real_insert(model, *args, **kwargs)

    monkeypatch.setattr(staging, "insert_select", crash_on_leads)
    persons, leads, changes = Person.objects.count(), Lead.objects.count(), ChangeRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.commit_batch(actor=world["district"], batch=batch)
    assert (Person.objects.count(), Lead.objects.count(), ChangeRecord.objects.count()) == (persons, leads, changes)
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED
    monkeypatch.setattr(staging, "insert_select", real_insert)
    with transaction.atomic():
        assert services.commit_batch(actor=world["district"], batch=batch)["leads"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "表头"), (b"PK\x03\x04 not really a workbook", "无法读取"), (b"a,b\n1,2\n", "表头")],
)
def test_broken_files_get_a_clear_message(content, message, world, tmp_path, capsys):
    suffix = ".xlsx" if content.startswith(b"PK") else ".csv"
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("leads", "import", str(path), "--unit", "410108", "--commit")
    assert message in str(raised.value) + capsys.readouterr().out


def test_staged_rows_are_purged_once_committed_and_a_late_commit_reads_the_file_again(pushed_rows, world, tmp_path):
    with transaction.atomic():
        kept, _ = services.stage_batch(
            actor=world["district"],
            district=world["huiji"],
            path=write_xlsx(tmp_path / "kept.xlsx", pushed_rows),
            file_name="kept.xlsx",
        )
    staging.purge()
    run_import(write_csv(tmp_path / "other.csv", pushed_rows[1:3]), "--commit")
    assert StagedRow.objects.filter(batch_id=kept.pk).count() == 3 and StagedRow.objects.count() == 3 + 1
    assert staging.purge() == 1  # the committed batch's row; the rows awaiting confirmation stay
    later = timezone.now() + datetime.timedelta(days=staging.STAGED_DAYS + 1)
    assert staging.purge(now=later) == 3 and not staging.is_staged(kept)
    with transaction.atomic():
        summary = services.commit_batch(actor=world["district"], batch=kept)
    assert summary["valid"] == 3 and summary["leads"] + summary["already_open"] == 3 and summary["leads"] == 2


def test_nul_characters_in_a_file_are_dropped_at_reading_and_the_rows_import(pushed_rows, world, tmp_path):
    rows = [list(row) for row in pushed_rows]
    rows[3][1] = "王\x00五"
    rows[3][4] = "惠济区刘寨街道\x00银湾社区3号楼"
    result = run_import(write_csv(tmp_path / "nul.csv", rows), "--commit")
    assert result["invalid"] == 0 and result["leads"] >= 1
    lead = Lead.objects.get(person__name="王五")
    assert "\x00" not in json.dumps(lead.pushed_data) and lead.person.address == "惠济区刘寨街道银湾社区3号楼"


def _refused(path, capsys) -> str:
    with pytest.raises(CommandError) as raised:
        call_command("leads", "import", str(path), "--unit", "410108", "--commit")
    return str(raised.value) + capsys.readouterr().out


def test_a_password_protected_workbook_is_named_as_such(pushed_rows, world, tmp_path, capsys):
    persons = Person.objects.count()
    message = _refused(write_encrypted_xlsx(tmp_path / "加密.xlsx", pushed_rows), capsys)
    assert "打开密码" in message and Person.objects.count() == persons


def test_a_zip_bomb_disguised_as_a_workbook_is_refused_before_unpacking(world, tmp_path, capsys):
    bomb = write_zip_bomb(tmp_path / "名单.xlsx")
    assert bomb.stat().st_size < 2 << 20
    assert "压缩炸弹" in _refused(bomb, capsys)


def test_a_list_over_a_million_rows_is_refused_whole_with_a_clear_message(world, tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("姓名,身份证号\n")
        handle.write("某人,110101199003074477\n" * 1_000_001)
    assert "超过 1,000,000 行" in _refused(path, capsys)
    assert not Lead.objects.filter(batch__file_name="huge.csv").exists()
