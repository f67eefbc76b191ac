import pytest


@pytest.fixture(autouse=True)
def no_stays_yet(request):
    """The shared world checks alice into a site (for the route walk); these tests start before that."""
    if "world" in request.fixturenames:
        from fangxian.sites.models import Room, Stay

        request.getfixturevalue("world")
        Stay.objects.all().delete()
        Room.objects.all().delete()
