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


def board_rows(html: str, kind_label: str = "") -> list[str]:
    """The closed-loop board's rows (of one kind, by its label), as the page drew them."""
    table = html.split('data-testid="board-items"')[1].split("</table>")[0]
    rows = table.split('<tr data-testid="board-item">')[1:]
    return [row for row in rows if kind_label in row]
