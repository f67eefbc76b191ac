"""A township officer in real Chromium against a real server (its own demo database), as a person would use it."""

import datetime
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FANGXIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "fangxian.settings"}
    command = [sys.executable, "-m", "fangxian.cli"]
    subprocess.run([*command, "demo", "--no-serve", "--persons", "3000"], env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen(
        [*command, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--with-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # gunicorn and the worker are its children: they are stopped as one group
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the server did not start within 30 s")
    yield {"url": f"http://127.0.0.1:{port}", "database": database}
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):  # noqa: ARG001 - the server must be up before the browser opens
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/ensure-system-packages (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the confirmation an irreversible action asks
        yield page
        browser.close()


def test_township_officer_sees_only_masked_persons_of_their_township_and_a_reveal_is_logged(server, page):
    server = server["url"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "xincheng")
    page.fill("input[name=password]", "fangxian-demo")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("person-count")).to_be_visible()

    page.goto(f"{server}/persons/")
    units = page.locator("[data-testid=person-unit] [data-code]").evaluate_all(
        "cells => cells.map(c => c.dataset.code)"
    )
    assert len(units) == 50
    assert all(re.fullmatch(r"410108001\d{3,}", code) for code in units), units  # 新城街道 and below
    masked = page.get_by_test_id("doc-masked").all_inner_texts()
    assert all(re.fullmatch(r"\d{4}\*{12}[\dX]{2}", text.strip()) for text in masked), masked
    page.screenshot(path=str(SCREENSHOTS / "person_list.png"), full_page=False)

    first = page.locator("[data-testid=person-table] tbody tr a").first
    name = first.inner_text()
    first.click()
    page.get_by_test_id("reveal-doc").click()
    revealed = page.get_by_test_id("revealed-doc_number")
    expect(revealed).to_have_text(re.compile(r"^\d{17}[\dX]$"))
    page.screenshot(path=str(SCREENSHOTS / "person_revealed.png"))

    page.goto(f"{server}/audit/access/")
    newest = page.get_by_test_id("access-row").first
    expect(newest).to_contain_text("查看完整信息")
    expect(newest).to_contain_text(name)
    expect(newest).to_contain_text("新城街道防控办")


def liuzhai_person(database) -> tuple[str, str, str]:
    """A person of 刘寨街道, read straight from the server's database: (uuid, name, document number)."""
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT p.uuid, p.name, p.doc_number FROM people_person p JOIN core_unit u ON u.id = p.unit_id "
            "WHERE u.path LIKE '/410108/410108002/%' ORDER BY p.id LIMIT 1"
        ).fetchone()
    return str(uuid.UUID(row[0])), row[1], row[2]


def test_another_townships_person_is_404_and_absent_from_search(server, page):
    person_uuid, name, doc_number = liuzhai_person(server["database"])
    response = page.goto(f"{server['url']}/persons/{person_uuid}/")
    assert response.status == 404
    expect(page.locator("body")).to_contain_text("不在您的管辖范围内")
    expect(page.locator("body")).not_to_contain_text(name)
    page.goto(f"{server['url']}/persons/?q={doc_number}")
    expect(page.locator("[data-testid=person-table] tbody")).to_contain_text("没有符合条件的人员")


def test_district_officer_imports_a_pushed_list_with_an_error_and_commits_the_valid_rows(server, page, tmp_path):
    """Upload → the check page lists the bad row → commit the valid rows → the job's progress → the leads."""
    pushed = tmp_path / "今日推送.csv"
    pushed.write_text(
        "郑州市涉疫风险人员推送名单\n"
        "序号,姓名,身份证号,手机号,现居住地址,推送原因\n"
        "1,浏览甲,110101199003074477,13800000001,惠济区新城街道1号楼,密接\n"
        "2,浏览乙,110101199003074478,13800000002,惠济区新城街道2号楼,次密接\n"
        "3,浏览丙,11010119900307002X,13800000003,惠济区刘寨街道3号楼,次密接\n"
        "制表人：张三\n",
        encoding="gb18030",
    )
    server = server["url"]
    page.context.clear_cookies()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "district")
    page.fill("input[name=password]", "fangxian-demo")
    page.click("button[type=submit]")
    page.goto(f"{server}/leads/batches/upload/")
    page.set_input_files("input[name=file]", str(pushed))
    page.get_by_role("button", name="上传并校验").click()

    expect(page.get_by_test_id("invalid-count")).to_have_text("1")
    errors = page.get_by_test_id("error-table")
    expect(errors).to_contain_text("4")  # the spreadsheet's own row number
    expect(errors).to_contain_text("校验位")
    expect(page.get_by_test_id("commit-all")).to_be_disabled()
    expect(page.get_by_test_id("column-mapping")).to_contain_text("身份证号 → 证件号码")
    page.screenshot(path=str(SCREENSHOTS / "import_checked.png"), full_page=True)

    page.get_by_test_id("commit-valid").click()
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=30_000)
    page.get_by_role("link", name="查看结果").click()
    expect(page.get_by_test_id("lead-count")).to_have_text("2")
    page.goto(f"{server}/leads/?q=浏览")
    expect(page.locator("body")).to_contain_text("浏览甲")
    expect(page.locator("body")).not_to_contain_text("浏览乙")


def login(page, server: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "fangxian-demo")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def test_xincheng_files_todays_zero_report_and_its_row_turns_green(server, page):
    server = server["url"]
    login(page, server, "xincheng")
    page.goto(f"{server}/reports/file/")
    todays = page.get_by_test_id("pending-table").locator("tr", has_text="疫情防控日报")
    todays.get_by_role("link", name="填报").click()
    expect(page.locator("h2")).to_contain_text("疫情防控日报 · 新城街道")
    page.get_by_test_id("zero-report").click()
    row = page.get_by_test_id("board-row-410108001")
    expect(row).to_have_class(re.compile("table-success"))
    expect(row).to_contain_text("零报告")
    page.screenshot(path=str(SCREENSHOTS / "report_board.png"), full_page=True)


def test_the_district_dashboard_draws_its_charts_and_drills_down_to_xincheng(server, page):
    server = server["url"]
    login(page, server, "district")
    page.goto(f"{server}/dashboard/")
    expect(page.get_by_test_id("dashboard-unit")).to_contain_text("惠济区")
    expect(page.locator("#chart-children canvas")).to_be_visible()  # ECharts drew into the page
    page.get_by_test_id("drill-410108001").click()
    expect(page.get_by_test_id("dashboard-unit")).to_contain_text("新城街道")
    expect(page.get_by_test_id("dashboard-children")).to_contain_text("社区")
    page.screenshot(path=str(SCREENSHOTS / "dashboard_xincheng.png"), full_page=True)


def test_the_closed_loop_board_shows_missed_checks_and_a_measure_shows_its_plan(server, page):
    server = server["url"]
    login(page, server, "district")
    page.goto(f"{server}/control/board/?kind=missed_checks")
    missed = page.get_by_test_id("board-items").locator("a")
    expect(missed.first).to_be_visible()  # some teams missed checks in the demo
    missed.first.click()
    expect(page.get_by_test_id("plan-table")).to_contain_text(re.compile("隔离|监测"))
    expect(page.get_by_test_id("test-table")).to_be_visible()
    page.goto(f"{server}/sites/")
    expect(page.get_by_test_id("free-rooms")).not_to_have_text("0")
    page.screenshot(path=str(SCREENSHOTS / "sites.png"), full_page=True)


def test_a_point_scans_a_pool_a_lab_reports_it_positive_and_the_community_sees_its_members_held(server, page, tmp_path):
    from fangxian.people.documents import check_char

    server = server["url"]
    members = []
    for serial, name in [("551", "扫码丙"), ("552", "扫码丁")]:
        first17 = f"41010819850203{serial}"
        members.append((first17 + check_char(first17), name))
    login(page, server, "xincheng")
    page.goto(f"{server}/testing/points/")
    page.get_by_test_id("points").locator("a").first.click()
    expect(page.locator("#id_code")).to_be_focused()  # the page opens on the tube code, ready for the scanner
    page.keyboard.type("BRW00001")  # a scanner ends with Enter
    page.keyboard.press("Enter")
    for number, name in members:
        page.keyboard.type(f"{number} {name}")
        page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    expect(page.locator("body")).to_contain_text("BRW00001 已登记 2 人")
    expect(page.get_by_test_id("open-tubes")).to_contain_text("2 / 10")
    page.get_by_test_id("open-tubes").get_by_role("button", name="封管").click()
    page.goto(f"{server}/testing/")
    page.get_by_test_id("campaigns").locator("a").first.click()
    expect(page.locator("#chart-hourly canvas")).to_be_visible()  # the hourly chart drew
    login(page, server, "lab")
    page.goto(f"{server}/testing/results/")
    results = tmp_path / "金域结果.csv"
    results.write_text("管码,检测结果,ORF1ab,N\nBRW00001,阳性,28.1,30.4\n", encoding="gbk")
    page.fill("input[name=lab]", "郑州金域医学检验所")
    page.set_input_files("input[name=file]", str(results))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("result-summary")).to_contain_text("2 人已就地管控")
    login(page, server, "xincheng")
    page.goto(f"{server}/testing/recalls/")
    recalls = page.get_by_test_id("recalls")
    expect(recalls).to_contain_text("扫码丙")
    expect(recalls).to_contain_text("BRW00001")
    expect(recalls).not_to_contain_text(members[0][0])  # masked
    page.screenshot(path=str(SCREENSHOTS / "recalls.png"), full_page=True)


FIELD_PAGES = {
    "grid": [
        "/",
        "/leads/",
        "/leads/?status=open",
        "/persons/",
        "/control/",
        "/control/checks/",
        "/control/tests/",
        "/control/board/",
        "/venues/",
    ],
    "site": ["/", "/control/", "/control/checks/", "/sites/", "/control/board/"],
    "lab": ["/", "/testing/points/", "/testing/tubes/", "/testing/results/", "/testing/lookup/"],
    "venue": ["/", "/venues/", "/venues/register/"],
    # Not a field role, but the command office looks at its phone too.
    "district": ["/", "/dashboard/", "/control/board/"],
}


@pytest.mark.parametrize("role", sorted(FIELD_PAGES))
def test_field_pages_fit_a_390_px_phone(server, page, role):
    """The roles that work standing up: no page of theirs scrolls sideways on a 390 px phone, the verification
    outcome is a tap target that shows the choice."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The module's browser, in a phone-sized context of its own (a second Playwright cannot start beside it).
    phone = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(f"{server['url']}/login/")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", "fangxian-demo")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        wide = {}
        for path in FIELD_PAGES[role]:
            response = page.goto(f"{server['url']}{path}")
            assert response.status < 400, (role, path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 391:
                wide[path] = width
        page.goto(f"{server['url']}{FIELD_PAGES[role][1]}")
        assert "&lt;td" not in page.content()  # the table's markup is drawn, not shown as text
        page.screenshot(path=str(SCREENSHOTS / f"phone_{role}.png"))
        if role == "grid":
            page.goto(f"{server['url']}/leads/?status=open")
            page.locator("[data-testid=lead-table] tbody tr a").first.click()
            choices = page.get_by_test_id("choices-outcome")
            choices.locator("label").first.click()
            assert choices.locator("input:checked").count() == 1
            box = choices.locator("label").first.bounding_box()
            assert box is not None and box["height"] >= 44
            wide_detail = page.evaluate("document.documentElement.scrollWidth")
            if wide_detail > 391:
                wide["lead detail"] = wide_detail
            page.screenshot(path=str(SCREENSHOTS / "phone_grid_verify.png"), full_page=True)
        if role == "site":  # their hotel, from the workbench: the people sent there wait with a check-in button
            page.goto(f"{server['url']}/")
            page.get_by_test_id("task-arrivals").click()
            expect(page.get_by_test_id("arrivals").get_by_test_id("check-in").first).to_be_visible()
            box = page.get_by_test_id("check-in").first.bounding_box()
            assert box is not None and box["height"] >= 44
            if (hotel := page.evaluate("document.documentElement.scrollWidth")) > 391:
                wide["hotel"] = hotel
            page.screenshot(path=str(SCREENSHOTS / "phone_site_hotel.png"), full_page=True)
    finally:
        phone.close()
    assert not wide, f"{role}: pages wider than the phone: {wide}"


def test_a_venues_door_on_a_phone_one_thumb_from_the_id_to_the_answer(server, page):
    """The venue's staff at the door: home → the door, type an ID, Enter does not let anyone in, a tap on the
    colour the visitor shows gives the decision in its colour, the scan is recorded and the box is empty again."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(server["database"]) as connection:
        number = connection.execute(
            "SELECT doc_number FROM people_person WHERE id NOT IN "
            "(SELECT person_id FROM control_measure WHERE status = 'active') ORDER BY id LIMIT 1 OFFSET 11"
        ).fetchone()[0]
        before = connection.execute("SELECT COUNT(*) FROM venues_scan WHERE doc_number = ?", [number]).fetchone()[0]
    phone = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(f"{server['url']}/login/")
        page.fill("input[name=username]", "venue")
        page.fill("input[name=password]", "fangxian-demo")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_test_id("my-venue").first.click()
        field = page.locator("input[name=doc_number]")
        expect(field).to_be_focused()
        field.fill(number)
        field.press("Enter")  # a scanner's trailing Enter: nothing is submitted without a colour
        expect(page.locator("[data-door-hint]")).to_be_visible()  # and says why
        expect(page.get_by_test_id("door-answer")).to_have_count(0)
        green = page.get_by_test_id("colour-green")
        box = green.bounding_box()
        # A thumb's target: tall enough, and in the lower part of the screen without scrolling.
        assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= 844
        green.click()
        answer = page.get_by_test_id("door-answer")
        expect(answer).to_be_visible()
        assert answer.get_attribute("data-decision") in {"pass", "deny"}  # deny: no 48-hour negative at a school
        expect(answer).not_to_contain_text(number)
        expect(page.locator("input[name=doc_number]")).to_have_value("")
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        page.screenshot(path=str(SCREENSHOTS / "phone_venue_door.png"), full_page=True)
    finally:
        phone.close()
    with sqlite3.connect(server["database"]) as connection:
        after = connection.execute("SELECT COUNT(*) FROM venues_scan WHERE doc_number = ?", [number]).fetchone()[0]
        logged = connection.execute(
            "SELECT COUNT(*) FROM core_accessrecord WHERE model = 'venues.scan' AND detail LIKE '%door%'"
        ).fetchone()[0]
    assert after == before + 1 and logged >= 1


CONTRAST = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const low = []; const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || el.closest(".d-none, script, style")) continue;
    seen.add(el);
    const style = getComputedStyle(el); const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || style.display === "none" || !box.width || !box.height) continue;
    const fg = parse(style.color);
    if (!fg) { low.push([node.textContent.trim(), style.color]); continue; }
    const a = lum(fg), b = lum(background(el)); const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push([node.textContent.trim().slice(0, 30), Math.round(ratio * 100) / 100]);
  }
  return low;
}"""


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_the_big_screen_is_legible_and_fits_a_1080p_panel_and_a_4k_wall(server, page, size):
    width, height = size
    screen = page.context.browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    try:
        page = screen.new_page()
        login(page, server["url"], "district")
        for unit in ("410108", "410108001"):  # the district (8 townships) and a township (its communities)
            page.goto(f"{server['url']}/dashboard/?screen=1&unit={unit}")
            expect(page.locator("#chart-children canvas")).to_be_visible()
            shown = page.evaluate(
                "({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
                " grid: document.querySelector('.dash-grid').getBoundingClientRect().width})"
            )
            assert shown["h"] <= height and shown["w"] <= width, (unit, shown)
            assert shown["grid"] >= 0.95 * width, (unit, shown)  # a wall is filled, not a column in its middle
            assert page.evaluate(CONTRAST) == [], unit
        page.screenshot(path=str(SCREENSHOTS / f"screen_{width}.png"))
    finally:
        screen.close()


def test_a_display_link_refreshes_its_figures_in_place_and_says_when_it_is_taken_back(server, page):
    login(page, server["url"], "district")
    page.goto(f"{server['url']}/dashboard/displays/")
    page.get_by_test_id("display-form").locator("input[name=label]").fill("指挥大厅主屏")
    page.get_by_test_id("display-form").locator("button[type=submit]").click()
    link = page.get_by_test_id("link").input_value()
    wall = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    try:
        screen = wall.new_page()
        screen.goto(link)
        expect(screen.get_by_test_id("dashboard-totals")).to_be_visible()
        screen.evaluate("window.stayedOnThisPage = true")
        screen.evaluate("window.fangxianRefresh()")
        expect(screen.locator("body")).to_have_attribute("data-refreshes", "1")
        assert screen.evaluate("window.stayedOnThisPage") is True  # refreshed in place, not reloaded
        assert screen.evaluate(CONTRAST) == []
        page.goto(f"{server['url']}/dashboard/displays/")
        page.locator("[data-testid^=close-]").first.click()
        screen.evaluate("window.fangxianRefresh()")
        expect(screen.get_by_test_id("screen-gone")).to_be_visible()
    finally:
        wall.close()


def test_the_board_prints_its_rows_from_the_first_page_without_the_menu(server, page):
    login(page, server["url"], "district")
    page.goto(f"{server['url']}/control/board/")
    page.emulate_media(media="print")
    shown = page.evaluate(
        """() => ({
            menu: getComputedStyle(document.querySelector('header.navbar')).display,
            filters: getComputedStyle(document.querySelector('#list-filters')).display,
            cardBreak: getComputedStyle(document.querySelector('[data-testid=board-items]').closest('.card')).breakInside,
            stamp: getComputedStyle(document.querySelector('.print-only')).display,
        })"""
    )
    assert shown == {"menu": "none", "filters": "none", "cardBreak": "auto", "stamp": "block"}, shown
    pdf = page.pdf(format="A4")
    assert pdf.count(b"/Type /Page") < 6  # 50 rows at most on a page of the board
    page.emulate_media(media="screen")


def test_from_a_positive_re_test_to_a_case_its_itinerary_from_scans_and_its_contacts_to_leads(server, page, tmp_path):
    """The district: a held member of a positive pool is re-tested on a single tube and found positive; their
    file offers the case; the itinerary comes from their scans and samples, co-visitors join in one click, a
    close contact is added and pushed to their community as a lead with its deadline."""
    with sqlite3.connect(server["database"]) as connection:
        # The demo left one held person with yesterday's itinerary at three venues for this walk.
        doc, name, person_uuid = connection.execute(
            "SELECT r.doc_number, r.name, p.uuid FROM testing_recall r JOIN people_person p ON p.id = r.person_id "
            "WHERE r.status = 'held' ORDER BY r.id LIMIT 1"
        ).fetchone()
        contact_doc = connection.execute(
            "SELECT doc_number FROM people_person WHERE doc_number <> ? AND id NOT IN "
            "(SELECT person_id FROM leads_lead WHERE status = 'open') ORDER BY id LIMIT 1 OFFSET 40",
            [doc],
        ).fetchone()[0]
    database, server = server["database"], server["url"]
    login(page, server, "district")
    page.goto(f"{server}/testing/points/")
    page.get_by_test_id("points").locator("a").first.click()
    page.select_option("#id_mode", "single")
    page.fill("#id_code", "RETEST001")
    page.fill("#id_members", f"{doc} {name}")
    page.get_by_test_id("save-and-close").click()
    expect(page.locator("body")).to_contain_text("RETEST001")
    results = tmp_path / "复核结果.csv"
    results.write_text("管码,检测结果\nRETEST001,阳性\n", encoding="gbk")
    page.goto(f"{server}/testing/results/")
    page.fill("input[name=lab]", "郑州金域医学检验所")
    page.set_input_files("input[name=file]", str(results))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("result-summary")).to_be_visible()

    # The person's file offers the case (or opens it, when the worker's sweep was first).
    page.goto(f"{server}/persons/{uuid.UUID(person_uuid)}/")
    page.get_by_test_id("file-cases").locator("a").first.click()
    if "/from-recall/" in page.url:
        page.locator("[data-testid=open-case], [data-testid=open-existing-case]").first.click()
    expect(page.get_by_test_id("case-title")).to_be_visible()
    expect(page.get_by_test_id("case-found-in")).to_have_text("社会面")  # the pool was sampled in the community

    page.get_by_test_id("prefill").click()
    entries = page.get_by_test_id("entry")
    expect(entries.first).to_be_visible()
    assert entries.count() >= 3, entries.count()  # three venues yesterday, and the sampling visit(s)
    page.get_by_test_id("add-covisit").click()
    expect(page.get_by_test_id("contact").first).to_be_visible()
    covisitors = int(page.get_by_test_id("contacts-total").inner_text())
    assert covisitors >= 5, covisitors

    page.get_by_test_id("add-contact").click()
    page.fill("#id_doc_number", contact_doc)
    page.select_option("#id_relation", "work")
    page.select_option("#id_classification", "close")
    page.fill("#id_exposed_at", (datetime.datetime.now() - datetime.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("contact-form").get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("contacts-total")).to_have_text(str(covisitors + 1))
    page.get_by_test_id("push-contacts").click()  # the confirmation is accepted
    expect(page.locator(".alert-success")).to_contain_text("已推送")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)
    with sqlite3.connect(database) as connection:
        lead = connection.execute(
            "SELECT l.category, l.exposed_at IS NOT NULL, "
            "(julianday(l.deadline) - julianday(l.received_at)) * 24 FROM leads_lead l "
            "JOIN people_person p ON p.id = l.person_id WHERE p.doc_number = ? AND l.source = 'case_tracing'",
            [contact_doc],
        ).fetchone()
    assert lead is not None and lead[:2] == ("close_contact", 1) and round(lead[2]) == 8, lead


def test_a_grid_worker_works_the_vaccination_roster_on_a_phone(server, page):
    """The grid team on a phone: the roster of its community, a person's page, a booking (they stay on the list
    until the dose), then a refusal with its reason (they leave it); no sideways scrolling at 390 px."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(f"{server['url']}/login/")
        page.fill("input[name=username]", "grid")
        page.fill("input[name=password]", "fangxian-demo")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))  # on a phone the user menu folds into the navigation button
        page.goto(f"{server['url']}/vaccination/roster/")
        rows = page.get_by_test_id("roster-table").locator("tbody tr")
        expect(rows.first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        page.screenshot(path=str(SCREENSHOTS / "phone_vaccination_roster.png"), full_page=False)
        link = rows.first.locator("a").first
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44  # a thumb's target, not a line of text
        href = link.get_attribute("href")
        link.click()
        expect(page.get_by_test_id("on-roster")).to_be_visible()
        form = page.get_by_test_id("attempt-form")
        form.get_by_text("电话", exact=True).click()
        form.get_by_text("已预约", exact=True).click()
        form.locator("input[name=until]").fill((datetime.date.today() + datetime.timedelta(days=2)).isoformat())
        save = form.locator("button[type=submit]")
        box = save.bounding_box()
        assert box is not None and box["height"] >= 44
        save.click()
        expect(page.get_by_test_id("attempts")).to_contain_text("已预约")
        expect(page.get_by_test_id("on-roster")).to_be_visible()  # a booking is no reason: still on the roster
        form = page.get_by_test_id("attempt-form")
        form.get_by_text("入户", exact=True).click()
        form.get_by_text("拒绝", exact=True).click()
        form.locator("input[name=reason]").fill("家属不同意接种")
        form.locator("button[type=submit]").click()
        expect(page.get_by_test_id("standing")).to_contain_text("拒绝接种")
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        page.screenshot(path=str(SCREENSHOTS / "phone_vaccination_person.png"), full_page=True)
        page.goto(f"{server['url']}/vaccination/roster/")
        expect(page.locator(f"[data-testid=roster-table] a[href='{href}']")).to_have_count(0)
    finally:
        phone.close()


def test_the_district_sees_coverage_by_band_and_the_dashboards_vaccination_chart(server, page):
    server = server["url"]
    login(page, server, "district")
    page.goto(f"{server}/vaccination/?view=yilao_yixiao")
    table = page.get_by_test_id("coverage-table")
    expect(table.locator("[data-band='80+']").first).to_be_visible()
    expect(table.locator("[data-band='18-59']")).to_have_count(0)  # 一老一小 only
    page.screenshot(path=str(SCREENSHOTS / "vaccination_coverage.png"), full_page=False)
    page.goto(f"{server}/dashboard/")
    expect(page.locator("#chart-vaccination canvas")).to_be_visible()
    expect(page.get_by_test_id("dashboard-target")).to_contain_text("60 岁以上人群加强免疫攻坚")
