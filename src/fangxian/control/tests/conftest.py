import pytest


@pytest.fixture(autouse=True)
def nobody_under_a_measure_yet(world):
    """The shared world places alice under a measure (for the route walk); these tests start before that."""
    from fangxian.control.models import Measure
    from fangxian.sites.choices import RoomStatus
    from fangxian.sites.models import Room, Stay

    Stay.objects.all().delete()
    Room.objects.update(status=RoomStatus.AVAILABLE)
    Measure.objects.all().delete()
