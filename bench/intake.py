"""Intake of a pushed list at city scale.

    .venv/bin/python bench/intake.py                                   # PostgreSQL, 1,000,000-person registry
    .venv/bin/python bench/intake.py --db sqlite:////tmp/intake.sqlite3 --registry 200000

Builds a registry, writes a 200,000-row .xlsx in which half the people already exist, and times the import through
the services the page and the command use (phase one: read, validate, stage the valid rows; phase two: match,
create persons, leads and their change records). The baseline, measured in the same run on the same file: python-calamine read + the database's native
bulk path (COPY on PostgreSQL, executemany on SQLite) of the same rows into a bare table. The database in --db is
dropped and recreated.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--registry", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    setup_django(args.db)
    import xlsxwriter
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from fangxian import demo
    from fangxian.core.bulk import bulk_insert
    from fangxian.core.models import Unit, User
    from fangxian.leads import services
    from fangxian.people.models import Person
    from fangxian.people.services import person_from_row

    demo.build(persons=0)
    district = Unit.objects.get(code="410108")
    officer = User.objects.get(username="district")
    grids = list(Unit.objects.filter(level="grid").select_related("parent__parent").order_by("code"))
    townships = {unit.code: unit.name for unit in Unit.objects.filter(level="township")}

    started = time.perf_counter()
    total = args.registry + args.rows // 2
    people = demo._persons(random.Random(3), grids, total)
    registry, outsiders = people[: args.registry], people[args.registry :]
    for start in range(0, len(registry), 100_000):
        with transaction.atomic():
            bulk_insert(Person, [person_from_row(row) for row in registry[start : start + 100_000]])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"database: {connection.vendor}; registry of {Person.objects.count():,} persons built in "
        f"{time.perf_counter() - started:.0f} s (set-up, not measured)"
    )

    rng = random.Random(4)
    listed = rng.sample(registry, args.rows - len(outsiders)) + outsiders
    rng.shuffle(listed)
    reasons = ["密接", "次密接", "中风险区来返", "高风险区来返", "时空伴随"]
    path = Path(tempfile.mkdtemp()) / "pushed.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["郑州市涉疫风险人员推送名单"])
    header = ["序号", "姓名", "身份证号", "手机号", "现居住地址", "推送原因", "风险地区", "离开风险地区时间"]
    sheet.write_row(1, 0, header)
    township_names = list(townships.values())
    for index, row in enumerate(listed, start=1):
        address = (
            f"郑州市惠济区{rng.choice(township_names)}{rng.randrange(1, 30)}号楼"
            if rng.random() < 0.9
            else "外地某小区"
        )
        sheet.write_row(
            index + 1,
            0,
            [
                index,
                row.name,
                row.document.number,
                row.phone,
                address,
                rng.choice(reasons),
                "某市某区",
                "2022-11-08 10:00",
            ],
        )
    workbook.close()
    print(f"pushed list: {args.rows:,} rows ({len(outsiders):,} new persons), {path.stat().st_size / 1e6:.1f} MB .xlsx")

    def baseline() -> float:
        begin = time.perf_counter()
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[2:]
        values = [[str(cell) for cell in row] for row in rows]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bare_push (c0 text, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text)"
            )
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bare_push FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO bare_push VALUES (?, ?, ?, ?, ?, ?, ?, ?)".replace("?", "%s"), values)
            cursor.execute("DROP TABLE bare_push")
        return time.perf_counter() - begin

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")  # the set-up's writes are not the import's to pay for
    base = baseline()

    begin = time.perf_counter()
    with transaction.atomic():
        batch, plan = services.stage_batch(actor=officer, district=district, path=path, file_name=path.name)
    staged = time.perf_counter() - begin
    phases: list[tuple[str, float]] = []

    def report(message, **counts):
        phases.append((message, time.perf_counter()))

    with transaction.atomic():
        summary = services.commit_batch(actor=officer, batch=batch, report=report)
        phases.append(("commit (deferred constraint checks)", time.perf_counter()))
    total_time = time.perf_counter() - begin
    # Each phase runs from its own mark to the next one.
    marks = [("stage", begin), *phases, ("end", begin + total_time)]
    breakdown = ", ".join(f"{marks[i][0]} {marks[i + 1][1] - marks[i][1]:.1f} s" for i in range(len(marks) - 1))
    print(f"phases: {breakdown}")
    print(f"phase one (read, check, stage, count matches): {staged:.2f} s; phase two: {total_time - staged:.2f} s")
    print(
        f"import: {total_time:.2f} s, {args.rows / total_time:,.0f} rows/s "
        f"(new persons {summary['new_persons']:,}, leads {summary['leads']:,}, errors {len(plan.errors)})"
    )
    print(
        f"baseline (calamine read + native bulk insert of the same rows): {base:.2f} s, "
        f"{args.rows / base:,.0f} rows/s; ratio {base / total_time:.2f}"
    )


if __name__ == "__main__":
    main()
