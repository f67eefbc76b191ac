import datetime

from django.db import connection
from django.utils import timezone

from fangxian.core import partitions
from fangxian.testing.models import Sample


def test_each_day_of_samples_has_its_partition_and_retention_drops_whole_days(register):
    now = timezone.now()
    register({"T0001": [1, 2]}, now=now - datetime.timedelta(days=2))
    register({"T0002": [3]}, now=now)
    today, two_days_ago = timezone.localdate(), timezone.localdate() - datetime.timedelta(days=2)
    if connection.vendor == "postgresql":
        days = [day for _, day in partitions.partitions(Sample)]
        assert two_days_ago in days and today in days
    partitions.drop_before(Sample, today - datetime.timedelta(days=1))
    assert list(Sample.objects.values_list("day", flat=True)) == [today]
    if connection.vendor == "postgresql":
        assert two_days_ago not in [day for _, day in partitions.partitions(Sample)]
        partitions.forget_known()


def test_a_tubes_members_are_read_through_the_tube_index_not_a_scan_of_the_day(register):
    register({f"T{n:04d}": list(range(n * 10 % 1000, n * 10 % 1000 + 10)) for n in range(1, 500)})
    if connection.vendor != "postgresql":
        return
    from fangxian.testing.models import Tube

    tube = Tube.objects.get(code="T0250")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM testing_sample WHERE tube_id = %s AND day = %s",
            [tube.pk, tube.sampled_on],
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    assert "Seq Scan" not in str(plan) and plan["Actual Rows"] == 10


def test_the_sweeps_make_days_ahead_and_drop_days_past_retention(register, settings):
    from fangxian.testing import jobs

    now = timezone.now()
    register({"T0001": [1]}, now=now - datetime.timedelta(days=5))
    register({"T0002": [2]}, now=now)
    if connection.vendor == "postgresql":
        jobs.make_partitions_ahead()
        days = {day for _, day in partitions.partitions(Sample)}
        assert timezone.localdate() + datetime.timedelta(days=jobs.DAYS_AHEAD) in days
    settings.TESTING_RETENTION_DAYS = 0
    jobs.drop_expired_partitions()
    assert Sample.objects.count() == 2
    settings.TESTING_RETENTION_DAYS = 3
    jobs.drop_expired_partitions()
    assert list(Sample.objects.values_list("day", flat=True)) == [timezone.localdate()]
    partitions.forget_known()
