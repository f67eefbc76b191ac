"""The workbench (home page) and the closed-loop board in a large outbreak: 20,000 people under measures.

    .venv/bin/python bench/workbench.py                                    # PostgreSQL
    .venv/bin/python bench/workbench.py --db sqlite:////tmp/wb.sqlite3 --measures 5000

Times GET / (the workbench: every task count of the role, and the home figures) and GET /control/board/ (the
board's worklist, first page) as the district officer (every measure) and a township officer (its share), through
the real stack (Django test client). Measures are written in bulk with their real plans and scheduled tests, a
third with two days of health checks, some with open alarms.

The baseline, measured in the same run: reading every active measure's plan and person once (the least any
board over all of them must do) — SELECT of the active measures joined to their persons.
"""

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import percentile, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--measures", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    setup_django(args.db)
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from fangxian import demo
    from fangxian.control import services as control
    from fangxian.control.choices import FollowUpKind, MeasureStatus, Subject
    from fangxian.control.models import FollowUp, HealthCheck, Measure, ScheduledTest
    from fangxian.core.bulk import bulk_insert
    from fangxian.core.models import Unit, User
    from fangxian.people.models import Person
    from fangxian.people.services import person_from_row

    started = time.perf_counter()
    demo.build(persons=0)
    district = Unit.objects.get(code="410108")
    officer = User.objects.get(username="district")
    grids = list(Unit.objects.filter(level="grid").select_related("parent__parent").order_by("code"))
    rows = demo._persons(random.Random(5), grids, args.measures)
    with transaction.atomic():
        bulk_insert(Person, [person_from_row(row) for row in rows])
    people = list(Person.objects.exclude(measures__status=MeasureStatus.ACTIVE).values_list("id", "unit_id"))
    protocol = control.protocol_for(district)
    rng = random.Random(7)
    today = timezone.localdate()
    subjects = [Subject.CLOSE_CONTACT, Subject.SECONDARY_CONTACT, Subject.HIGH_RISK_AREA, Subject.LOW_RISK_AREA]
    plans = {}
    measures, tests = [], []
    for person_id, unit_id in people[: args.measures]:
        subject = rng.choice(subjects)
        anchor = today - datetime.timedelta(days=rng.randrange(1, 13))
        key = (subject, anchor)
        if key not in plans:
            rule = control.rule_for(protocol, subject)
            plans[key] = control.compute_plan(rule, anchor_date=anchor, start_date=anchor + datetime.timedelta(days=1))
        plan = plans[key]
        measures.append(
            Measure(
                person_id=person_id,
                unit_id=unit_id,
                protocol=protocol,
                subject=subject,
                anchor_date=plan.anchor_date,
                start_date=plan.start_date,
                end_date=plan.end_date,
                plan=plan.phases,
                created_by=officer,
            )
        )
    with transaction.atomic():
        Measure.objects.bulk_create(measures, batch_size=2000)
    saved = list(Measure.objects.filter(status=MeasureStatus.ACTIVE).values_list("id", "subject", "anchor_date"))
    for measure_id, subject, anchor in saved:
        plan = plans.get((subject, anchor))
        if plan is None:
            continue
        tests.extend(
            ScheduledTest(measure_id=measure_id, day=day, plan_day=number, double_sample=double, result="negative")
            if day < today
            else ScheduledTest(measure_id=measure_id, day=day, plan_day=number, double_sample=double)
            for day, number, double in plan.tests
        )
    checks, alarms = [], []
    for index, (measure_id, _subject, _anchor) in enumerate(saved):
        if index % 3 == 0:
            for back in (1, 2):
                for slot in (1, 2):
                    checks.append(
                        HealthCheck(
                            measure_id=measure_id,
                            day=today - datetime.timedelta(days=back),
                            slot=slot,
                            temperature="36.5",
                            recorded_by=officer,
                        )
                    )
        if index % 200 == 0:
            alarms.append(
                FollowUp(
                    measure_id=measure_id,
                    kind=FollowUpKind.DOOR,
                    key=f"bench:{measure_id}",
                    detail="门磁报警",
                    unit_id=Measure.objects.values_list("unit_id", flat=True).get(pk=measure_id),
                    due_at=timezone.now() - datetime.timedelta(minutes=rng.randrange(-60, 60)),
                )
            )
    with transaction.atomic():
        ScheduledTest.objects.bulk_create(tests, batch_size=5000)
        HealthCheck.objects.bulk_create(checks, batch_size=5000)
        FollowUp.objects.bulk_create(alarms)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    active = Measure.objects.filter(status=MeasureStatus.ACTIVE).count()
    print(
        f"database: {connection.vendor}; {active:,} active measures, {ScheduledTest.objects.count():,} scheduled "
        f"tests, {HealthCheck.objects.count():,} health checks, {len(alarms)} alarms; built in "
        f"{time.perf_counter() - started:.0f} s (set-up, not measured)"
    )

    def baseline() -> float:
        begin = time.perf_counter()
        list(Measure.objects.filter(status=MeasureStatus.ACTIVE).values_list("plan", "person__name", "unit_id"))
        return time.perf_counter() - begin

    base = statistics.median([baseline() for _ in range(5)])
    print(f"baseline (every active measure's plan, person and unit, read once): median {base * 1000:.1f} ms")
    for username in ("district", "xincheng"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get("/api/units/")  # a process's first request pays for imports
        for url in ("/", "/control/board/"):
            samples = []
            for _ in range(args.repeat):
                begin = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - begin)
                assert response.status_code == 200, (url, response.status_code)
            p50, p90 = statistics.median(samples), percentile(samples, 0.9)
            print(
                f"{username:9} {url:16} p50 {p50 * 1000:7.1f} ms, p90 {p90 * 1000:7.1f} ms; "
                f"ratio to baseline {p50 / base:.1f}"
            )


if __name__ == "__main__":
    main()
