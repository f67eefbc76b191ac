"""Big screens open the dashboard by a link of their own, not by a session kept alive by refreshes."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangxian.core.models import ChangeRecord
from fangxian.dashboard import services
from fangxian.dashboard.models import Display, key_digest


def open_link(world, **kwargs):
    options = {"unit": world["xincheng"], "label": "一号屏", "hours": 12, **kwargs}
    return services.open_display(actor=world["district"], **options)


def test_the_link_is_shown_once_and_only_its_digest_is_kept(world, client_for):
    page = client_for("district").post(
        reverse("dashboard:displays"), {"unit": world["xincheng"].pk, "label": "一号屏", "hours": 24}
    )
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="new-link"' in body
    link = body.split('data-testid="link"')[0].rsplit('value="', 1)[1].split('"')[0]
    key = link.rstrip("/").rsplit("/", 1)[1]
    display = Display.objects.get(label="一号屏")
    assert display.digest == key_digest(key) and key not in str(Display.objects.values_list())
    assert ChangeRecord.objects.filter(object_repr="一号屏", kind="create").exists()
    listing = client_for("district").get(reverse("dashboard:displays")).content.decode()
    assert "一号屏" in listing and key not in listing


def test_a_screen_opens_without_a_login_shows_its_unit_and_refreshes(world):
    _, key = open_link(world)
    screen = Client().get(reverse("screen", kwargs={"key": key}))
    body = screen.content.decode()
    assert screen.status_code == 200 and "新城街道" in body
    # It refreshes its figures in place every minute (test_browser.py watches it do so), never the whole page.
    assert "window.fangxianRefresh = refresh" in body and 'http-equiv="refresh"' not in body
    assert "sessionid" not in screen.cookies  # nothing to keep alive
    assert world["alice"].name not in body and world["alice"].doc_number not in body  # figures only
    assert Display.objects.get(digest=key_digest(key)).last_seen_at is not None


def test_a_signed_in_browser_is_not_kept_signed_in_by_the_screen(world, client_for):
    _, key = open_link(world)
    client = client_for("township_a")
    screen = client.get(reverse("screen", kwargs={"key": key}))
    assert screen.status_code == 200
    assert screen.cookies["sessionid"].value == ""  # the cookie is dropped, not renewed
    assert 'data-testid="user-menu"' not in screen.content.decode()


def test_the_signed_in_full_screen_mode_does_not_refresh(world, client_for):
    page = client_for("district").get(reverse("dashboard:board"), {"screen": "1"})
    body = page.content.decode()
    assert page.status_code == 200 and 'http-equiv="refresh"' not in body and "fangxianRefresh" not in body


def test_an_expired_a_revoked_or_a_wrong_link_shows_nothing(world):
    expired, expired_key = open_link(world, label="过期屏")
    Display.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    revoked, revoked_key = open_link(world, label="收回屏")
    services.close_display(actor=world["district"], display=revoked)
    for key in (expired_key, revoked_key, "not-a-key", "x" * 300):
        screen = Client().get(reverse("screen", kwargs={"key": key}))
        assert screen.status_code == 404 and "投放链接已失效" in screen.content.decode(), key
        assert "新城街道" not in screen.content.decode()


def test_a_screen_drills_down_inside_its_unit_only(world):
    _, key = open_link(world)
    url = reverse("screen", kwargs={"key": key})
    assert Client().get(url, {"unit": world["xc_community"].code}).status_code == 200
    for outside in (world["liuzhai"].code, world["huiji"].code, world["lz_community"].code):
        assert Client().get(url, {"unit": outside}).status_code == 404, outside


def test_a_township_opens_links_for_its_own_units_and_closes_only_its_own(world, client_for):
    refused = client_for("township_b").post(
        reverse("dashboard:displays"), {"unit": world["xincheng"].pk, "label": "越权屏", "hours": 12}
    )
    assert refused.status_code == 400 and not Display.objects.filter(label="越权屏").exists()
    theirs = world["xc_display"]
    assert (
        client_for("township_b").post(reverse("dashboard:display_close", kwargs={"pk": theirs.pk})).status_code == 404
    )
    assert Display.objects.get(pk=theirs.pk).revoked_at is None
    assert (
        client_for("township_a").post(reverse("dashboard:display_close", kwargs={"pk": theirs.pk})).status_code == 302
    )
    assert Display.objects.get(pk=theirs.pk).revoked_at is not None
    assert ChangeRecord.objects.filter(reason="收回投放链接").count() == 1


def test_roles_without_the_right_cannot_reach_the_links(world, client_for):
    for role in ("clerk", "grid", "site", "lab"):
        assert client_for(role).get(reverse("dashboard:displays")).status_code == 403, role


def test_the_screen_ends_a_signed_in_session_on_the_server_not_only_the_cookie(world, client_for):
    _, key = open_link(world)
    client = client_for("township_a")
    old = client.cookies["sessionid"].value
    client.get(reverse("screen", kwargs={"key": key}))
    replay = Client()
    replay.cookies["sessionid"] = old
    assert replay.get(reverse("home")).status_code == 302  # back to the sign-in page


def test_a_link_dies_with_its_maker_s_account_and_does_not_drill_to_a_grid(world):
    display, key = services.open_display(actor=world["township_a"], unit=world["xincheng"], label="新城屏", hours=24)
    url = reverse("screen", kwargs={"key": key})
    assert Client().get(url, {"unit": world["xc_grid"].code}).status_code == 404  # too few people to stay anonymous
    world["township_a"].is_active = False
    world["township_a"].save(update_fields=["is_active"])
    assert Client().get(url).status_code == 404
