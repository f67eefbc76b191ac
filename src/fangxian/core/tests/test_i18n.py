from django.urls import reverse


def test_the_interface_is_chinese_by_default(world, client_for):
    page = client_for("township_a").get(reverse("people:list")).content.decode()
    assert "人员名单" in page and "退出登录" in page


def test_english_is_available_from_the_language_switch(world, client_for):
    client = client_for("township_a")
    client.post(reverse("set_language"), {"language": "en", "next": reverse("people:list")})
    page = client.get(reverse("people:list")).content.decode()
    assert "Sign out" in page and "Export to Excel" in page and "Resident ID card" not in page
    assert "Registered resident" in page  # a choice label in the list
    assert "人员名单" not in page


def test_english_error_pages(world, client_for):
    client = client_for("township_b")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid}))
    assert response.status_code == 404 and "outside your area" in response.content.decode()


def test_the_leads_pages_are_translated(world, client_for):
    client = client_for("township_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("leads:list")).content.decode()
    assert "Close contact" in page and "Hand over the selected leads" in page and "协查任务" not in page


def test_every_static_file_the_pages_link_is_found():
    """The stylesheet and scripts named in the templates are served (a missing one fails silently in a browser)."""
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    templates = Path(__file__).resolve().parents[2] / "templates"
    named = {
        match
        for path in templates.rglob("*.html")
        for match in re.findall(r"{% static '([^']+)' %}", path.read_text(encoding="utf-8"))
    }
    assert "fangxian/app.css" in named
    assert [name for name in sorted(named) if not finders.find(name)] == []


def test_the_testing_pages_are_translated(world, client_for):
    client = client_for("township_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    tubes = client.get(reverse("testing:tubes")).content.decode()
    assert "Sampling day" in tubes and "Awaiting shipment" in tubes and "采样管" not in tubes
    campaign = client.get(reverse("testing:campaign", kwargs={"uuid": world["campaign"].uuid})).content.decode()
    assert "Progress by unit" in campaign and "Not expected" in campaign and "各单位进度" not in campaign
    lookup = client.post(reverse("testing:lookup"), {"doc_number": world["alice"].doc_number, "hours": 48})
    assert "negative result within 48 hours" in lookup.content.decode()


def test_the_navigation_and_the_control_pages_are_translated(world, client_for):
    client = client_for("district")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    board = client.get(reverse("control:board")).content.decode()
    assert "Dashboard" in board and "Closed loop" in board and "指挥大屏" not in board and "闭环管理" not in board
    reports = client.get(reverse("reports:board")).content.decode()
    assert "Daily report filing" in reports or "No daily report set up yet" in reports
