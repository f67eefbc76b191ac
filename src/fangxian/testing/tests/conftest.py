import pytest

from fangxian.people.documents import check_char


def citizen_id(n: int, birth: str = "19900101") -> str:
    first17 = f"410108{birth}{n % 1000:03d}"
    return first17 + check_char(first17)


def members(code: str, numbers: list[int], **extra) -> list[dict]:
    return [{"tube_code": code, "doc_number": citizen_id(n), "name": f"受检{n}", **extra} for n in numbers]


@pytest.fixture(autouse=True)
def nothing_sampled_yet(world):
    """The shared world has a tube with alice in it (for the route walk); these tests start before that."""
    from fangxian.testing.models import Recall, ResultSubmission, Sample, SamplingPoint, Tube

    Recall.objects.all().delete()
    ResultSubmission.objects.all().delete()
    Sample.objects.all().delete()
    Tube.objects.all().delete()
    SamplingPoint.objects.all().delete()


@pytest.fixture
def point(world):
    from fangxian.testing.models import SamplingPoint

    return SamplingPoint.objects.create(unit=world["xc_community"], name="金河社区广场采样点", address="金河社区广场")


@pytest.fixture
def register(world, point):
    """Register tubes at the 金河 point as township_a: register({"T0001": [1, 2, 3]}, pool_size=10)."""
    from django.db import transaction

    from fangxian.testing import members as member_checks
    from fangxian.testing import services

    def run(tubes: dict[str, list[int]], *, pool_size: int = 10, close: bool = True, actor=None, now=None):
        rows = [row for code, numbers in tubes.items() for row in members(code, numbers)]
        with transaction.atomic():
            return services.register_tubes(
                actor=actor or world["township_a"],
                point=point,
                tubes=[services.NewTube(code, pool_size) for code in tubes],
                members=member_checks.frame(rows),
                close=close,
                now=now,
            )

    return run


@pytest.fixture
def results(world):
    from django.db import transaction

    from fangxian.testing import services

    def run(rows: list[dict], *, actor=None, now=None, valid_only=True):
        with transaction.atomic():
            return services.ingest_results(
                actor=actor or world["lab"],
                lab="郑州金域检验",
                rows=services.result_frame(rows),
                now=now,
                valid_only=valid_only,
            )

    return run
