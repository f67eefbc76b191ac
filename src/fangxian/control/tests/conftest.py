import pytest


@pytest.fixture(autouse=True)
def nobody_under_a_measure_yet(world):
    """The shared world places alice under a measure (for the route walk); these tests start before that."""
    from fangxian.control.models import Measure
    from fangxian.sites.models import Stay

    Stay.objects.all().delete()
    Measure.objects.all().delete()
