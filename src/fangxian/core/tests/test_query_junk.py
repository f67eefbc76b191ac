"""Every GET route of the role walk, as the district, with every query parameter it reads set to junk: the
answer is a page, a 400 or a 404 — never a 500. The parameters are those of the view's filterset and the ones
the views read by hand; a new hand-read parameter belongs in HAND_READ."""

import pytest
from django.urls import resolve, reverse

from fangxian.core.tests.test_role_walk import PAGES, route_id

# Query parameters views read themselves (not through a filterset).
HAND_READ = (
    "status subject site floor slot day form unit screen q next full month page export kind date since until"
).split()
JUNK = (
    "--5",
    "99999999999999999999-1",
    "-1",
    "1e400",
    "9999-99-99",
    "2026-02-30",
    "\x00",
    "%00",
    "' OR '1'='1",
    "ＸＸ１",
    "x" * 5000,
    "",
)

GETS = [route for route in PAGES if route.method == "get"]


def parameters(url: str) -> list[str]:
    view = getattr(resolve(url.split("?")[0]).func, "view_class", None) or getattr(
        resolve(url.split("?")[0]).func, "cls", None
    )
    filterset = getattr(view, "filterset_class", None)
    names = list(HAND_READ)
    if filterset is not None:
        names += list(filterset.base_filters)
    return names


@pytest.mark.parametrize("route", GETS, ids=route_id)
def test_junk_in_every_query_parameter_is_never_a_500(route, walk_world, client_for):
    client = client_for("district")
    kwargs = {**(route.kwargs(walk_world) if route.kwargs else {}), **({"operation": route.op} if route.op else {})}
    url = reverse(route.name, kwargs=kwargs or None)
    names = [name for name in parameters(url) if name != "export"]
    for junk in JUNK:
        response = client.get(url, {name: junk for name in names})
        assert response.status_code < 500, f"{route_id(route)} with {junk[:20]!r}: {response.status_code}"
    # Each parameter alone, so one that is only read when others are absent is reached too.
    for name in names:
        for junk in ("--5", "99999999999999999999-1"):
            response = client.get(url, {name: junk})
            assert response.status_code < 500, f"{route_id(route)} with {name}={junk!r}: {response.status_code}"
