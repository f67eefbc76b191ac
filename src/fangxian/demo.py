"""The demo district: 惠济区 with its real streets/towns, synthetic communities, grids, teams, persons and users.

Deterministic: the same seed gives the same units, names, ID numbers and UUIDs.
"""

import datetime
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fangxian.core import services as core_services
from fangxian.core.choices import Role, Sector, UnitLevel
from fangxian.core.models import Grant, GridTeam, TeamMember, TeamSlot, TeamTemplate, Unit, User
from fangxian.people.choices import DocumentType, ResidenceCategory, Sex
from fangxian.people.documents import Document, check_char
from fangxian.people.models import Person
from fangxian.people.services import PersonRow, bulk_register_persons

DISTRICT_CODE = "410108"
DEMO_USERS = [
    # username, name, role, unit code (None = first community of 新城街道)
    ("district", "惠济区指挥部值班员", Role.DISTRICT_COMMAND, "410108"),
    ("xincheng", "新城街道防控办", Role.TOWNSHIP_OFFICE, "410108001"),
    ("liuzhai", "刘寨街道防控办", Role.TOWNSHIP_OFFICE, "410108002"),
    ("grid", "新城街道网格员", Role.GRID_MEMBER, None),
    ("site", "隔离点工作人员", Role.SITE_STAFF, "410108003"),
    ("clerk", "指挥部查询员", Role.CLERK, "410108"),
    ("lab", "郑州金域医学检验所", Role.SAMPLING_LAB, "410108"),
    # Beside the territory: a department (教育局: its sector's key groups) and a working group (核酸检测专班:
    # testing, district-wide, and nothing else).
    ("jiaoyu", "区教育局疫情防控联络员", Role.DEPARTMENT_STAFF, "410108B03"),
    ("hesuan", "核酸检测专班", Role.TASK_FORCE, "410108Z03"),
    # The staff of one supermarket in the grid team's community (its door check and its own register).
    ("venue", "便民超市值班员", Role.VENUE_STAFF, "410108001"),
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉浩然子涵梓萱一诺欣怡宇轩思远晨曦嘉怡俊杰雨萱佳豪"
_COMMUNITY_WORDS = "金河 银湾 清华 锦绣 阳光 和谐 幸福 东风 南阳 北站 丰乐 天河 长兴 迎宾 江山 绿源 新苑 嘉园 盛世 滨河 文化 花园 兴达 龙湖 雁鸣 正弘 宏达 鑫苑 怡景".split()
_VILLAGE_WORDS = (
    "刘庄 王庄 李村 张寨 赵营 孙湾 马头 郭店 胡家 高村 柳林 杨桥 南岗 北沟 东湖 西河 老鸦陈 固城 双桥 岗李".split()
)
_OTHER_AREAS = ["410102", "410103", "410105", "410122", "410181", "411302", "412702", "340104", "130102", "370102"]
_PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "176",
    "186",
    "188",
]


@dataclass
class DemoSummary:
    townships: int
    communities: int
    grids: int
    teams: int
    persons: int
    users: list[str]


def is_built() -> bool:
    return (
        Unit.objects.filter(code=DISTRICT_CODE).exists()
        and Person.objects.filter(unit__path__startswith=f"/{DISTRICT_CODE}/").exists()
    )


def build(
    *, seed: int = 20221110, persons: int = 20_000, communities_per_township: int = 12, grids_per_community: int = 4
) -> DemoSummary:
    rng = random.Random(seed)
    with transaction.atomic():
        actor = core_services.service_account()
        district, _ = core_services.load_county(code=DISTRICT_CODE)
        townships = list(district.children.filter(level=UnitLevel.TOWNSHIP).order_by("code"))
        core_services.load_standard_bodies(actor=actor, district=district)
        communities = _communities(rng, townships, communities_per_township)
        grids = _grids(communities, grids_per_community)
        teams = _teams(rng, communities)
        users = _users(communities)
        rows = _persons(rng, grids, persons)
        bulk_register_persons(actor=actor, rows=rows, reason="演示数据")
        if rows:
            _leads(rng, district, rows)
        _reports(rng, district, townships)
        if rows:
            _testing(rng, district, townships)
        _venues(rng, communities)
        if rows:
            _scans(rng)
            _cases(rng)
            _vaccination(rng, district, townships)
    return DemoSummary(len(townships), len(communities), len(grids), teams, len(rows), users)


def _communities(rng, townships: list[Unit], per_township: int) -> list[Unit]:
    units = []
    for township in townships:
        is_town = township.name.endswith(("镇", "乡"))
        words = rng.sample(_VILLAGE_WORDS if is_town else _COMMUNITY_WORDS, per_township)
        for index, word in enumerate(words, start=1):
            # Statistical codes: 001–199 are residents' committees (社区), 200+ villagers' committees (村).
            number = 200 + index if is_town else index
            name = f"{word}村" if is_town else f"{word}社区"
            units.append(
                Unit(code=f"{township.code}{number:03d}", name=name, level=UnitLevel.COMMUNITY, parent=township)
            )
    for unit in units:
        unit.save()
    return units


def _grids(communities: list[Unit], per_community: int) -> list[Unit]:
    grids = []
    for community in communities:
        for index in range(1, per_community + 1):
            grid = Unit(
                code=f"{community.code}{index:02d}", name=f"第{index}网格", level=UnitLevel.GRID, parent=community
            )
            grid.save()
            grids.append(grid)
    return grids


def _teams(rng, communities: list[Unit]) -> int:
    template = core_services.default_team_template()
    five, created = TeamTemplate.objects.get_or_create(name="五包一")
    if created:
        for order, duty in enumerate(["街道干部", "社区干部", "社区民警", "社区医生", "志愿者"]):
            TeamSlot.objects.create(template=five, duty=duty, order=order)
    slots = list(template.slots.all())
    count = 0
    for community in communities:
        team = GridTeam.objects.create(unit=community, template=template, name=f"{community.name}三人小组")
        # About one community in ten still lacks its doctor: the coverage check has something to show.
        filled = slots if rng.random() > 0.1 else slots[:-1]
        for slot in filled:
            TeamMember.objects.create(team=team, slot=slot, name=_name(rng), phone=_phone(rng))
        count += 1
    return count


def _users(communities: list[Unit]) -> list[str]:
    first_xincheng_community = next(unit for unit in communities if unit.code.startswith("410108001"))
    names = []
    for username, display_name, role, code in DEMO_USERS:
        unit = Unit.objects.get(code=code) if code else first_xincheng_community
        user, _ = User.objects.update_or_create(
            username=username, defaults={"display_name": display_name, "unit": unit}
        )
        if settings.DEMO_PASSWORD:
            user.set_password(settings.DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        Grant.objects.get_or_create(user=user, role=role, unit=unit)
        names.append(username)
    return names


def _name(rng) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng) -> str:
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def resident_id(rng, *, area: str, born: datetime.date, sex: str) -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if sex == Sex.MALE else 0)
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def _persons(rng, grids: list[Unit], count: int) -> list[PersonRow]:
    seen: set[str] = set()
    rows: list[PersonRow] = []
    today = datetime.date(2022, 11, 10)
    categories = [ResidenceCategory.REGISTERED] * 7 + [ResidenceCategory.RESIDENT] * 2 + [ResidenceCategory.FLOATING]
    while len(rows) < count:
        grid = grids[len(rows) % len(grids)]
        category = rng.choice(categories)
        area = DISTRICT_CODE if category == ResidenceCategory.REGISTERED else rng.choice(_OTHER_AREAS)
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        born = today - datetime.timedelta(days=rng.randrange(365, 365 * 88))
        number = resident_id(rng, area=area, born=born, sex=sex)
        if number in seen:
            continue
        seen.add(number)
        community, township = grid.parent, grid.parent.parent
        address = (
            f"郑州市惠济区{township.name}{community.name}{rng.randrange(1, 30)}号楼"
            f"{rng.randrange(1, 4)}单元{rng.randrange(1, 18)}{rng.randrange(1, 5):02d}室"
        )
        rows.append(
            PersonRow(
                unit=grid,
                name=_name(rng),
                document=Document(DocumentType.RESIDENT_ID, number, born, sex),
                phone=_phone(rng),
                address=address,
                category=category,
                # From the seed, so that a person's URL is the same on every build.
                uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        )
    return rows


_REASONS = ["密接", "密接", "次密接", "中风险区来返", "高风险区来返", "时空伴随"]


def _pushed_list(rng, known: list[PersonRow], new: int, path: Path, today: datetime.date) -> Path:
    """A list as the city sends it: title row, header, known residents and people new to the district."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("推送名单")
    sheet.write_row(0, 0, ["郑州市涉疫风险人员信息推送表"])
    sheet.write_row(
        1, 0, ["序号", "姓名", "身份证号", "联系电话", "现居住地址", "推送原因", "风险地区", "离开风险地区时间"]
    )
    entries = [(row.name, row.document.number, row.phone, row.address) for row in known]
    for _ in range(new):
        born = datetime.date(2022, 11, 10) - datetime.timedelta(days=rng.randrange(365 * 5, 365 * 80))
        number = resident_id(rng, area=rng.choice(_OTHER_AREAS), born=born, sex=rng.choice((Sex.MALE, Sex.FEMALE)))
        entries.append(
            (_name(rng), number, _phone(rng), rng.choice(known).address if rng.random() < 0.8 else "郑州市金水区某小区")
        )
    rng.shuffle(entries)
    for index, (name, number, phone, address) in enumerate(entries, start=1):
        reason = rng.choice(_REASONS)
        departed = today - datetime.timedelta(days=rng.randrange(1, 6))
        area, left = ("上海市浦东新区", f"{departed:%Y-%m-%d} 09:00") if "风险" in reason else ("", "")
        sheet.write_row(index + 1, 0, [index, name, number, phone, address, reason, area, left])
    sheet.write_row(len(entries) + 3, 0, ["制表人：市指挥部流调组"])
    workbook.close()
    return path


def _leads(rng, district: Unit, rows: list[PersonRow]) -> None:
    """Yesterday's list (mostly verified, some left overdue) and today's, through the real intake services."""
    import tempfile

    from fangxian.leads import services as lead_services
    from fangxian.leads.choices import Outcome
    from fangxian.leads.models import Lead, RiskArea

    officer = User.objects.get(username="district")
    folder = Path(tempfile.mkdtemp(prefix="fangxian-demo-"))
    now = timezone.now()
    for label, received_at, known, new in [
        ("昨日推送", now - datetime.timedelta(hours=30), rng.sample(rows, min(240, len(rows))), 60),
        ("今日推送", now - datetime.timedelta(hours=2), rng.sample(rows, min(150, len(rows))), 50),
    ]:
        path = _pushed_list(rng, known, new, folder / f"{label}.xlsx", timezone.localdate())
        batch, _plan = lead_services.stage_batch(
            actor=officer, district=district, path=path, file_name=path.name, pusher="郑州市疫情防控指挥部"
        )
        lead_services.commit_batch(actor=officer, batch=batch, received_at=received_at)
    yesterday = Lead.objects.filter(batch__file_name="昨日推送.xlsx").select_related("person").order_by("id")
    outcomes = [Outcome.PLACED_UNDER_MEASURE] * 5 + [Outcome.NO_MEASURE_NEEDED] * 3 + [Outcome.NOT_IN_AREA]
    for index, lead in enumerate(yesterday):
        if index % 10 == 0:
            continue  # about one in ten is still open past its deadline: the 失管漏管 board has work
        outcome = outcomes[index % len(outcomes)]
        note = "已转至外地，已电话告知" if outcome == Outcome.NOT_IN_AREA else ""
        lead_services.verify_lead(
            actor=officer, lead=lead, outcome=outcome, note=note, current_address=lead.person.address
        )
    # Yesterday's list was worked yesterday, within hours of its arrival (yesterday's briefing counts it closed
    # that day); today's is partly done.
    for index, lead in enumerate(yesterday.filter(verified_at__isnull=False)):
        Lead.objects.filter(pk=lead.pk).update(
            verified_at=min(lead.received_at + datetime.timedelta(hours=1 + index % 9), _evening_before(now))
        )
    today_list = Lead.objects.filter(batch__file_name="今日推送.xlsx").select_related("person").order_by("id")
    for index, lead in enumerate(today_list):
        if index % 3 == 0:
            lead_services.verify_lead(
                actor=officer, lead=lead, outcome=Outcome.NO_MEASURE_NEEDED, current_address=lead.person.address
            )
    _measures(rng, officer, yesterday)
    _sites(officer, district)
    _alerts(officer)
    RiskArea.objects.create(
        district=district,
        name="上海市浦东新区",
        level="high",
        declared_at=now - datetime.timedelta(days=1),
        created_by=officer,
    )


VENUE_NAMES = {
    "supermarket": "{}便民超市",
    "market": "{}农贸市场",
    "restaurant": "{}家常菜馆",
    "pharmacy": "{}大药房",
    "school": "{}小学",
    "kindergarten": "{}幼儿园",
    "hospital": "{}社区卫生服务站",
    "transport": "{}公交首末站",
    "construction": "{}安置房工地",
}


def _venues(rng, communities: list[Unit]) -> None:
    """Two to four venues a community (about 300 in the district), of mixed categories, each with its venue code;
    the grid team's community has a supermarket, whose staff are the demo's venue user."""
    from fangxian.venues import services as venue_services
    from fangxian.venues.models import VenueCategory

    officer = User.objects.get(username="district")
    categories = {category.code: category for category in VenueCategory.objects.filter(code__in=VENUE_NAMES)}
    first_xincheng = next(unit for unit in communities if unit.code.startswith("410108001"))
    for community in communities:
        short = community.name.removesuffix("社区").removesuffix("村")
        kinds = rng.sample(sorted(VENUE_NAMES), rng.choice([2, 3, 4]))
        if community == first_xincheng and "supermarket" not in kinds:
            kinds[0] = "supermarket"
        for code in kinds:
            venue = venue_services.register_venue(
                actor=officer,
                name=VENUE_NAMES[code].format(short),
                category=categories[code],
                unit=community,
                address=f"{community.parent.name}{community.name}{rng.randrange(1, 60)}号",
                contact="值班负责人",
                phone="0371-6" + f"{rng.randrange(1000000):07d}",
                areas=["一楼", "二楼"] if code in ("supermarket", "school") else [],
            )
            if community == first_xincheng and code == "supermarket":
                venue.staff.add(User.objects.get(username="venue"))


def _scans(rng) -> None:
    """Three days of scans by the demo's people: mostly at their own community's venues, a few popular ones
    drawing from the whole district; a few yellow and red codes, some unvaccinated, some without a 48-hour
    negative, a few scanned for by a relative (代扫). One person of a positive pool (the case) went to three
    venues yesterday, and their co-visitors can be traced from their file in one click."""
    from fangxian.testing.models import Recall
    from fangxian.venues.models import Venue
    from fangxian.venues.services import scans as scan_service

    officer = User.objects.get(username="district")
    venues = list(Venue.objects.select_related("unit", "category").order_by("id"))
    by_community: dict[int, list] = {}
    for venue in venues:
        by_community.setdefault(venue.unit_id, []).append(venue)
    popular = venues[:: max(1, len(venues) // 12)]
    people = list(
        Person.objects.values_list("doc_type", "doc_number", "name", "phone", "unit__parent_id").order_by("id")
    )
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    rows = []

    def scan(person, venue, moment, **extra):
        doc_type, doc_number, name, phone, _community = person
        rows.append(
            {
                "venue_code": venue.code,
                "area": rng.choice(venue.areas) if venue.areas else "",
                "doc_type": doc_type,
                "doc_number": doc_number,
                "name": name,
                "phone": phone,
                "scanned_at": moment,
                "code_colour": rng.choices(["green", "yellow", "red"], [994, 5, 1])[0],
                "vaccinated": rng.choices(["yes", "no", "unknown"], [88, 7, 5])[0],
                "negative": rng.choices(["yes", "no", "unknown"], [70, 20, 10])[0],
                "device": f"SENTINEL-{venue.pk:04d}",
                **extra,
            }
        )

    for days_ago in (2, 1, 0):
        day = today - datetime.timedelta(days=days_ago)
        last_hour = 21 if days_ago else max(8, timezone.localtime(now).hour - 1)
        for person in people:
            if rng.random() > 0.55:
                continue
            for _ in range(rng.choice([1, 1, 2, 3])):
                local = by_community.get(person[4]) or venues
                venue = rng.choice(local) if rng.random() < 0.75 else rng.choice(popular)
                moment = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time(rng.randint(7, last_hour), rng.randrange(60)))
                )
                if moment < now:
                    extra = {}
                    if rng.random() < 0.02:
                        extra["proxy_doc_number"] = rng.choice(people)[1]
                    scan(person, venue, moment, **extra)
    # Two people still held by positive pools went to three venues each yesterday: the first becomes the
    # demo's first case (_cases); the second is left for a user to re-test, open and trace.
    held = list(
        Recall.objects.filter(person__isnull=False, status="held")
        .values_list("doc_number", flat=True)
        .order_by("id")[:2]
    )
    yesterday = today - datetime.timedelta(days=1)
    for number, doc in enumerate(held or [None]):
        case = next((person for person in people if person[1] == doc), people[len(people) // 3])
        itinerary = [(popular[3 * number], 9, 5), (popular[3 * number + 1], 12, 10), (popular[3 * number + 2], 15, 40)]
        for venue, hour, minute in itinerary:
            start = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(hour, minute)))
            scan(case, venue, start, code_colour="green", area=venue.areas[0] if venue.areas else "")
            for visitor in rng.sample(people, rng.randint(8, 15)):
                if visitor[1] != case[1]:
                    scan(visitor, venue, start + datetime.timedelta(minutes=rng.randint(-40, 50)))
    for start in range(0, len(rows), scan_service.MAX_BATCH):
        scan_service.ingest_scans(
            actor=officer, scans=scan_service.frame(rows[start : start + scan_service.MAX_BATCH]), source="gateway"
        )


def _evening_before(now: datetime.datetime) -> datetime.datetime:
    yesterday = timezone.localdate(now) - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(18)))


def _measures(rng, officer: User, leads) -> None:
    """The leads verified "to be placed under a measure" get one, anchored so that the district has people in
    every phase: centralised, home isolation, monitoring, and a few past their end awaiting release. Tests up to
    yesterday have results (one not done); today's are still to be taken."""
    from fangxian.control import services as control_services
    from fangxian.control.choices import SampleResult
    from fangxian.leads.choices import Outcome

    today = timezone.localdate()
    spread = [1, 2, 4, 6, 8, 9, 10]  # days since the last exposure
    placed = [lead for lead in leads if lead.outcome == Outcome.PLACED_UNDER_MEASURE]
    for index, lead in enumerate(placed):
        subject = "secondary_contact" if index % 4 == 3 else "close_contact"
        ago = spread[index % len(spread)]
        anchor = today - datetime.timedelta(days=ago)
        measure = control_services.place_under_measure(
            actor=officer,
            person=lead.person,
            subject=subject,
            anchor_date=anchor,
            start_date=anchor + datetime.timedelta(days=1),
            unit=lead.unit,
            lead=lead,
        )
        if index % 9 != 4:  # most teams checked everyone twice a day; a few missed some (the board shows them)
            _checks(officer, measure, today)
        for test in measure.tests.filter(day__lt=today):
            missed = rng.random() < 0.03
            control_services.record_test(
                actor=officer,
                test=test,
                result=SampleResult.NOT_DONE if missed else SampleResult.NEGATIVE,
                reason="外出就医未采样" if missed else "",
            )


def _alerts(officer: User) -> None:
    """This morning a person in a hotel ran a fever and a door sensor went off at home an hour ago: two
    follow-up tasks on the board, the door one already past its half hour."""
    from fangxian.control import services as control_services
    from fangxian.control.choices import MeasureStatus, PhaseKind
    from fangxian.control.models import Measure

    today = timezone.localdate()
    active = list(Measure.objects.filter(status=MeasureStatus.ACTIVE).select_related("person").order_by("id"))
    by_kind: dict[str, list] = {}
    for measure in active:
        by_kind.setdefault((measure.phase_on(today) or {}).get("kind"), []).append(measure)
    centralised, home = by_kind.get(PhaseKind.CENTRALISED, []), by_kind.get(PhaseKind.HOME_ISOLATION, [])
    if centralised:
        control_services.record_checks(
            actor=officer,
            day=today,
            slot=1,
            entries=[control_services.CheckEntry(centralised[0], "37.6", "咽痛")],
        )
    if home:
        control_services.set_door_sensor(actor=officer, measure=home[0], device="MC-0001")
        control_services.door_alert(
            actor=officer,
            measures=Measure.objects.all(),
            device="MC-0001",
            at=timezone.now() - datetime.timedelta(hours=1),
        )


def _checks(officer: User, measure, today: datetime.date) -> None:
    from decimal import Decimal

    from fangxian.control.models import HealthCheck

    checks = []
    for phase in measure.plan:
        day = max(datetime.date.fromisoformat(phase["start"]), measure.start_date)
        last = min(datetime.date.fromisoformat(phase["end"]), today - datetime.timedelta(days=1))
        while day <= last:
            for slot in range(1, phase["checks_per_day"] + 1):
                temperature = Decimal("36.2") + Decimal(slot + day.day % 5) / 10
                checks.append(
                    HealthCheck(measure=measure, day=day, slot=slot, temperature=temperature, recorded_by=officer)
                )
            day += datetime.timedelta(days=1)
    HealthCheck.objects.bulk_create(checks)


def _sites(officer: User, district: Unit) -> None:
    """Two hotels in use and one held in reserve; everyone in centralised isolation today has a room but two,
    sent to a hotel and not yet arrived."""
    from fangxian.control.choices import MeasureStatus
    from fangxian.control.models import Measure
    from fangxian.sites import services as site_services
    from fangxian.sites.choices import ZONE_CHECKLIST, SiteStatus
    from fangxian.sites.models import Room, Site

    zones = {key: True for key in ZONE_CHECKLIST}
    sites = []
    for name, address, code, status, floors in [
        ("惠济宾馆（集中隔离点）", "惠济区开元路 18 号", "410108001", SiteStatus.ACTIVE, (2, 3, 4, 5)),
        ("黄河迎宾馆（集中隔离点）", "惠济区迎宾路 1 号", "410108003", SiteStatus.ACTIVE, (2, 3, 4)),
        ("古荥培训中心（储备）", "惠济区古荥镇", "410108101", SiteStatus.RESERVE, (1, 2)),
    ]:
        site = Site.objects.create(
            name=name,
            address=address,
            unit=Unit.objects.get(code=code),
            status=status,
            zones=zones,
            contact="值班室",
            phone="0371-63000000",
        )
        Room.objects.bulk_create(
            Room(site=site, floor=floor, number=f"{floor}{index:02d}", kind="accessible" if index == 1 else "single")
            for floor in floors
            for index in range(1, 13)
        )
        sites.append(site)
    sites[1].staff.add(User.objects.get(username="site"))  # the demo's site staff work at 黄河迎宾馆
    today = timezone.localdate()
    active = Measure.objects.filter(status=MeasureStatus.ACTIVE).select_related("person").order_by("id")
    targets = [measure for measure in active if (measure.phase_on(today) or {}).get("kind") == "centralised"]
    # The last two are on their way to 黄河迎宾馆: its staff see them waiting and check them in.
    for index, measure in enumerate(targets[:-2]):
        site_services.check_in(actor=officer, site=sites[index % 2], person=measure.person, measure=measure)
    for measure in targets[-2:]:
        site_services.send_to_site(actor=officer, site=sites[1], measure=measure)


REPORT_HISTORY_DAYS = 20


def _reports(rng, district: Unit, townships: list[Unit]) -> None:
    """The district's daily report with three weeks of filings (mostly on time, some late, a few missing), and
    today's from most townships — 新城街道 has not filed yet (its officer can file a zero report)."""
    from fangxian.reports import briefings as report_briefings
    from fangxian.reports import services as report_services
    from fangxian.reports.choices import FieldKind
    from fangxian.reports.models import ReportForm
    from fangxian.reports.services import FieldSpec

    officer = User.objects.get(username="district")
    daily = report_services.create_form(
        actor=officer,
        district=district,
        name="疫情防控日报",
        due_time=datetime.time(17, 0),
        levels=[UnitLevel.TOWNSHIP],
        fields=[
            FieldSpec("new_positive", "新增阳性感染者", FieldKind.INTEGER),
            FieldSpec("new_contacts", "新增密切接触者", FieldKind.INTEGER),
            FieldSpec("households", "当日入户排查户数", FieldKind.INTEGER),
            FieldSpec("problems", "发现问题及处置情况", FieldKind.TEXT, required=False),
        ],
    )
    report_services.create_form(
        actor=officer,
        district=district,
        name="协查任务日报",
        due_time=datetime.time(20, 0),
        levels=[UnitLevel.TOWNSHIP],
        fields=[
            FieldSpec("received", "当日接收协查任务", FieldKind.INTEGER, figure="leads_received", locked=True),
            FieldSpec("verified", "当日核查办结", FieldKind.INTEGER, figure="leads_verified", locked=True),
            FieldSpec("overdue", "超时未核查", FieldKind.INTEGER, figure="leads_overdue", locked=True),
            FieldSpec("note", "情况说明", FieldKind.TEXT, required=False),
        ],
    )
    today = timezone.localdate()
    start = today - datetime.timedelta(days=REPORT_HISTORY_DAYS)
    ReportForm.objects.filter(pk=daily.pk).update(
        created_at=timezone.make_aware(datetime.datetime.combine(start, datetime.time(8)))
    )
    daily.refresh_from_db()
    for offset in range(REPORT_HISTORY_DAYS, -1, -1):
        day = today - datetime.timedelta(days=offset)
        for township in townships:
            if offset == 0 and township.code == "410108001":
                continue  # 新城街道: today's report is still to come
            chance = rng.random()
            if chance < 0.06:
                continue  # missing
            hour = 18 if chance < 0.14 else rng.choice([9, 11, 14, 16])
            filed_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60))))
            if offset == 0 and filed_at > timezone.now():
                continue  # today, only what could have been filed by now
            quiet = rng.random() < 0.6
            report_services.file_report(
                actor=officer,
                form=daily,
                unit=township,
                day=day,
                zero=quiet,
                values=None
                if quiet
                else {"new_positive": "0", "new_contacts": str(rng.randrange(0, 6)), "households": "120"},
                now=filed_at,
            )
    # Yesterday evening's briefing, issued; today's is drafted at 18:00 by the worker or on demand.
    evening = _evening_before(timezone.now()) + datetime.timedelta(hours=1)
    briefing = report_briefings.draft_briefing(actor=officer, district=district, now=evening)
    report_briefings.issue_briefing(actor=officer, briefing=briefing)


def _testing(rng, district: Unit, townships: list[Unit]) -> None:
    """Today's round of mass testing, under way since six hours ago: two sampling points a township, about
    six in ten registered people sampled in pools of ten, the older tubes back from the lab (three positive
    pools and an invalid one: their members held, some already released by a single-tube re-test), the
    newer ones boxed or still at the point; medical staff and cold-chain workers on their schedules."""
    from fangxian.testing import members as member_checks
    from fangxian.testing import services as testing
    from fangxian.testing.models import Campaign, CampaignZone, KeyGroup, KeyGroupMember, SamplingPoint, Tube

    officer = User.objects.get(username="district")
    lab = User.objects.get(username="lab")
    now = timezone.now().replace(second=0, microsecond=0)
    campaign = Campaign.objects.create(
        district=district,
        name=f"{timezone.localdate():%m月%d日}全员核酸检测",
        starts_at=now - datetime.timedelta(hours=6),
        ends_at=now + datetime.timedelta(hours=18),
        status="running",
        created_by=officer,
    )
    people = list(Person.objects.values_list("doc_type", "doc_number", "name", "phone", "unit__path").order_by("id"))
    for township in townships:
        CampaignZone.objects.create(campaign=campaign, unit=township)
        points = [
            SamplingPoint.objects.create(
                campaign=campaign,
                unit=community,
                name=f"{community.name}核酸采样点",
                address=f"{community.name}广场",
                hours="07:00–22:00",
                teams=2,
            )
            for community in township.children.order_by("code")[:2]
        ]
        local = [row for row in people if row[4].startswith(township.path) and rng.random() < 0.6]
        for index, point in enumerate(points):
            share = local[index::2]
            tubes, rows = [], []
            for number, start in enumerate(range(0, len(share), 10)):
                code = f"HJ{point.unit.code[-6:]}{number:04d}"
                minutes = rng.randint(10, 350)
                tubes.append(testing.NewTube(code, 10, sampled_at=now - datetime.timedelta(minutes=minutes)))
                for doc_type, doc_number, name, phone, _path in share[start : start + 10]:
                    rows.append(
                        {
                            "tube_code": code,
                            "doc_type": doc_type,
                            "doc_number": doc_number,
                            "name": name,
                            "phone": phone,
                        }
                    )
            testing.register_tubes(actor=officer, point=point, tubes=tubes, members=member_checks.frame(rows), now=now)
    tubes = Tube.objects.filter(campaign=campaign)
    # The sampling apps sent their tubes as they closed them, a few minutes after sampling; each hour's closed
    # tubes went to the lab in one box twenty minutes after the hour.
    tubes.update(closed_at=F("sampled_at") + datetime.timedelta(minutes=5))
    hour = timezone.localtime(now - datetime.timedelta(hours=7)).replace(minute=0, second=0, microsecond=0)
    while hour + datetime.timedelta(hours=1, minutes=20) <= now:
        testing.ship(
            actor=officer,
            tubes=tubes.filter(sampled_at__gte=hour, sampled_at__lt=hour + datetime.timedelta(hours=1)),
            box=f"HJ-BOX-{hour:%H}",
            now=hour + datetime.timedelta(hours=1, minutes=20),
        )
        hour += datetime.timedelta(hours=1)
    back = list(tubes.filter(sampled_at__lte=now - datetime.timedelta(hours=3)).order_by("code"))
    # The positive pools are full ones (how full a pool is depends on the hour the demo is built at): four of the
    # first one's members are re-tested below.
    full = [tube for tube in back if tube.member_count >= 4]
    positive = {full[5].code, full[len(full) // 2].code, full[-3].code} if len(full) > 10 else set()
    invalid = {full[7].code} if len(full) > 10 else set()
    results = [
        {
            "tube_code": tube.code,
            "result": "阳性" if tube.code in positive else "无效" if tube.code in invalid else "阴性",
        }
        for tube in back
    ]
    testing.ingest_results(actor=lab, lab="郑州金域医学检验所", rows=testing.result_frame(results))
    testing.raise_recall_leads(actor=officer)
    if positive:
        # The first positive pool's point re-sampled four of its members one by one: negative, released.
        first = Tube.objects.get(code=sorted(positive)[0])
        retested = list(first.samples.order_by("doc_number").values("doc_type", "doc_number", "name", "phone")[:4])
        singles = [testing.NewTube(f"{first.code}R{n}", 1) for n in range(len(retested))]
        rows = [{"tube_code": tube.code, **member} for tube, member in zip(singles, retested, strict=True)]
        testing.register_tubes(actor=officer, point=first.point, tubes=singles, members=member_checks.frame(rows))
        testing.ingest_results(
            actor=lab,
            lab="郑州金域医学检验所",
            rows=testing.result_frame([{"tube_code": tube.code, "result": "阴性"} for tube in singles]),
        )
    for name, interval, count, sector in [
        ("医务人员", 3, 40, Sector.HEALTH),
        ("冷链从业人员", 7, 20, Sector.MARKET),
        ("中小学教职工", 7, 30, Sector.EDUCATION),
    ]:
        group = KeyGroup.objects.create(district=district, name=name, interval_days=interval, sector=sector)
        offset = {Sector.HEALTH: 0, Sector.MARKET: 3, Sector.EDUCATION: 5}[sector]
        for person in list(Person.objects.select_related("unit__parent").order_by("id")[offset : offset + count * 7])[
            ::7
        ]:
            unit = person.unit.parent if person.unit.level == UnitLevel.GRID else person.unit
            KeyGroupMember.objects.create(group=group, person=person, unit=unit)


def _cases(rng) -> None:
    """A small cluster. The person of a positive pool whose co-visits the scans traced re-tested positive on a
    single tube: their case opened by itself (社会面: the pool was sampled in the community), its itinerary from
    their scans and samples, their co-visitors and named contacts (a workmate, a friend who lives in 金水区 with
    the 协查函 sent, a housemate's household as secondary contacts) pushed to the grid teams. One pushed close
    contact was placed under a measure and tested positive there: a second case (管控中发现), infected by the
    first. A friend of the first case fell ill and was confirmed at the fever clinic: a third, its report done."""
    from fangxian.cases import services as cases
    from fangxian.cases.choices import CaseClass, ContactClass, FoundBy, Relation
    from fangxian.cases.models import Case
    from fangxian.control import services as control
    from fangxian.leads.choices import Outcome
    from fangxian.leads.services import verify_lead
    from fangxian.people.services import register_person
    from fangxian.testing import members as member_checks
    from fangxian.testing import services as testing
    from fangxian.testing.models import Recall

    officer = User.objects.get(username="district")
    lab = User.objects.get(username="lab")
    system = core_services.service_account()
    recall = (
        Recall.objects.filter(person__isnull=False, status="held").select_related("tube__point").order_by("id").first()
    )
    if recall is None:
        return
    single = testing.NewTube(f"{recall.tube.code}C1", 1)
    member = {
        "tube_code": single.code,
        "doc_type": recall.doc_type,
        "doc_number": recall.doc_number,
        "name": recall.name,
    }
    testing.register_tubes(
        actor=officer, point=recall.tube.point, tubes=[single], members=member_checks.frame([member])
    )
    testing.ingest_results(
        actor=lab, lab="郑州金域医学检验所", rows=testing.result_frame([{"tube_code": single.code, "result": "阳性"}])
    )
    cases.open_cases_from_positives(actor=system)
    first = Case.objects.get(person__doc_number=recall.doc_number)
    cases.prefill_itinerary(actor=officer, case=first)
    cases.contacts_from_covisit(actor=officer, case=first)
    now = timezone.now().replace(microsecond=0)
    yesterday_noon = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now) - datetime.timedelta(days=1), datetime.time(12))
    )
    others = list(
        Person.objects.exclude(doc_number=recall.doc_number)
        .exclude(doc_number__in=first.contacts.values("doc_number"))
        .exclude(measures__isnull=False)  # people nobody has worked on yet: their contact leads are new
        .exclude(leads__isnull=False)
        .exclude(cases__isnull=False)
        .select_related("unit")
        .order_by("id")[:3]
    )
    if len(others) < 3:
        return
    workmate, housemate, fevered = others[0], others[1], others[2]
    cases.add_contact(
        actor=officer,
        case=first,
        doc_type=workmate.doc_type,
        doc_number=workmate.doc_number,
        name="",
        relation=Relation.WORK,
        classification=ContactClass.CLOSE,
        exposed_at=yesterday_noon,
        note="同一办公室",
    )
    close_home = cases.add_contact(
        actor=officer,
        case=first,
        doc_type=housemate.doc_type,
        doc_number=housemate.doc_number,
        name="",
        relation=Relation.HOUSEHOLD,
        classification=ContactClass.CLOSE,
        exposed_at=now,
        note="同住",
    )
    # The housemate's own household: two more people at that address, secondary contacts through them.
    for number in (1, 2):
        born = datetime.date(1980 + number, 3, 9)
        first17 = f"410108{born:%Y%m%d}7{number}{number}"
        register_person(
            actor=officer,
            unit=housemate.unit,
            name=_name(rng),
            doc_type=DocumentType.RESIDENT_ID,
            doc_number=first17 + check_char(first17),
            address=housemate.address,
            reason="演示数据",
        )
    cases.household_secondaries(actor=officer, contact=close_home)
    away = "410105198807150031"
    away = away[:17] + check_char(away[:17])
    outbound = cases.add_contact(
        actor=officer,
        case=first,
        doc_type=DocumentType.RESIDENT_ID,
        doc_number=away,
        name="金水区友人",
        phone="13903710031",
        address="郑州市金水区花园路街道某小区",
        relation=Relation.OTHER,
        classification=ContactClass.CLOSE,
        exposed_at=yesterday_noon,
        home_region="金水区",
    )
    cases.record_outbound(actor=officer, contact=outbound, step="sent")
    cases.mark_done(actor=officer, case=first, step="core")
    cases.push_contacts(actor=officer, case=first)
    # The workmate, placed under a measure from the pushed lead, tested positive on day 1: the second case.
    lead = first.contacts.get(doc_number=workmate.doc_number).lead
    verify_lead(actor=officer, lead=lead, outcome=Outcome.PLACED_UNDER_MEASURE, note="已转运集中隔离")
    measure = control.place_from_lead(actor=officer, lead=lead, anchor_date=timezone.localdate(yesterday_noon))
    test = measure.tests.order_by("day").first()
    control.record_test(actor=officer, test=test, result="positive")
    cases.open_cases_from_positives(actor=system)
    second = Case.objects.get(person=workmate)
    cases.set_source(actor=officer, case=second, source=first)
    # A friend of the first case fell ill and went to the fever clinic: confirmed, infected by the first.
    third = cases.open_case(
        actor=officer,
        person=fevered,
        classification=CaseClass.CONFIRMED,
        found_by=FoundBy.FEVER_CLINIC,
        first_positive_at=now - datetime.timedelta(hours=20),
        onset_date=timezone.localdate(now) - datetime.timedelta(days=1),
        confirmed_at=now - datetime.timedelta(hours=8),
    )
    cases.set_source(actor=officer, case=third, source=first)
    cases.mark_done(actor=officer, case=third, step="report")


# Of the people of each age band: who has a first dose, of those the full series, of those a booster. Lower among
# the oldest and the youngest (and no boosters for children), as the 2022 campaigns found.
_COVERAGE = {
    "3-11": (0.78, 0.93, 0.0),
    "12-17": (0.95, 0.97, 0.0),
    "18-59": (0.96, 0.97, 0.78),
    "60-69": (0.89, 0.95, 0.66),
    "70-79": (0.80, 0.92, 0.55),
    "80+": (0.58, 0.85, 0.40),
}
_ADULT_PRODUCTS = [("北京生物", 45), ("科兴", 30), ("武汉生物", 12), ("智飞", 8), ("康希诺", 5)]
_CHILD_PRODUCTS = [("北京生物", 60), ("科兴", 40)]


def _vaccination(rng, district: Unit, townships: list[Unit]) -> None:
    """Doses for the demo people, imported as the immunisation system's export (the real two-phase path) with a
    week of boosters among the over-60s; a second file left checked with its conflicts, for the import page; the
    registered population per township and band (one township's headcount beside it); a target for the over-60s'
    boosters with its week of daily shares; and contacts on the roster of the grid team's community."""
    from fangxian.vaccination import bands as band_rules
    from fangxian.vaccination.choices import Channel, Milestone, Outcome, PopulationSource
    from fangxian.vaccination.services import imports, populations, roster, targets

    today = timezone.localdate()
    officer = User.objects.get(username="district")
    week_ago = today - datetime.timedelta(days=7)
    lines = ["姓名,身份证号,接种日期,剂次,生产企业,疫苗批号,接种单位"]
    persons = list(
        Person.objects.filter(doc_type=DocumentType.RESIDENT_ID).select_related("unit__parent__parent").order_by("id")
    )
    band_counts: dict[tuple[int, str], int] = {}
    for person in persons:
        band = band_rules.band_of(person.birth_date, today)
        if band is None:
            continue
        township = next((unit for unit in townships if person.unit.path.startswith(unit.path)), None)
        if township is None:
            continue
        band_counts[(township.pk, band.key)] = band_counts.get((township.pk, band.key), 0) + 1
        started, full, boosted = _COVERAGE[band.key]
        if rng.random() > started:
            continue
        child = band.high is not None and band.high < 18
        maker = rng.choices(*zip(*(_CHILD_PRODUCTS if child else _ADULT_PRODUCTS), strict=True))[0]
        series = {"智飞": 3, "康希诺": 1}.get(maker, 2)
        first = datetime.date(2021, 8, 1) if child else datetime.date(2021, 3, 1)
        licensed = band_rules.born_by(person.birth_date, -(18 if series != 2 else 3)) + datetime.timedelta(days=1)
        day = max(first, licensed) + datetime.timedelta(days=rng.randrange(0, 300))
        if day >= today - datetime.timedelta(days=30):
            continue
        site = f"{township.name}社区卫生服务中心"
        given = [(day, "第1剂")]
        complete = series == 1 or rng.random() < full
        for number in range(2, series + 1 if complete else 2):
            day = day + datetime.timedelta(days=rng.randrange(28 if maker == "智飞" else 21, 60))
            given.append((day, f"第{number}剂"))
        recent = band.low >= 60 and rng.random() < 0.06  # the current campaign's week of boosters
        if complete and not child and (recent or rng.random() < boosted):
            booster = (
                week_ago + datetime.timedelta(days=rng.randrange(0, 7))
                if recent
                else day + datetime.timedelta(days=rng.randrange(180, 420))
            )
            if booster > day + datetime.timedelta(days=90) and booster < today:
                given.append((booster, "加强"))
        for when, kind in given:
            if when < today:
                lines.append(
                    f"{person.name},{person.doc_number},{when:%Y-%m-%d},{kind},{maker},{when:%Y%m}{rng.randrange(100, 999)},{site}"
                )
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "惠济区新冠疫苗接种明细.csv"
    path.write_bytes("\n".join(lines).encode("gb18030"))
    batch, _plan = imports.check_file(
        actor=officer, path=path, file_name=path.name, unit=district, person_unit=district
    )
    imports.commit(actor=officer, batch=batch, valid_only=True, confirm_ages=True)
    # A later file with mistakes in it, checked and waiting: a second first dose on another date, a second dose
    # three days after the first, a date in the future.
    sample = [person for person in persons[:400] if hasattr(person, "vaccination")][:3]
    if len(sample) == 3:
        status = [person.vaccination for person in sample]
        wrong = [
            f"{sample[0].name},{sample[0].doc_number},{status[0].first_on + datetime.timedelta(days=2):%Y-%m-%d},第1剂,北京生物,,",
            f"{sample[1].name},{sample[1].doc_number},{today + datetime.timedelta(days=3):%Y-%m-%d},加强,科兴,,",
            f"{sample[2].name},{sample[2].doc_number},{status[2].first_on:%Y-%m-%d},第1剂,北京生物,,",
        ]
        later = folder / "新城街道补录接种明细.csv"
        later.write_bytes("\n".join([lines[0], *wrong]).encode("gb18030"))
        imports.check_file(actor=officer, path=later, file_name=later.name, unit=district, person_unit=district)
    for township in townships:
        for band in band_rules.configured():
            counted = band_counts.get((township.pk, band.key), 0)
            if counted:
                figure = round(counted * rng.uniform(1.02, 1.12))
                populations.record_population(
                    actor=officer,
                    unit=township,
                    band=band.key,
                    source=PopulationSource.REGISTERED,
                    count=figure,
                    as_of=datetime.date(today.year, 1, 1),
                    note="公安户籍人口（年初）",
                )
    for band in ("60-69", "70-79", "80+"):
        counted = band_counts.get((townships[0].pk, band), 0)
        if counted:
            populations.record_population(
                actor=officer,
                unit=townships[0],
                band=band,
                source=PopulationSource.HEADCOUNT,
                count=round(counted * 0.97),
                as_of=week_ago,
                note="老年人专项摸底（入户核实）",
            )
    target = targets.set_target(
        actor=officer,
        district=district,
        title="60 岁以上人群加强免疫攻坚",
        bands=["60-69", "70-79", "80+"],
        milestone=Milestone.BOOSTED,
        rate=80,
        due_on=today + datetime.timedelta(days=14),
        starts_on=week_ago,
        today=week_ago,
    )
    for offset in range(8):
        targets.issue(target=target, day=week_ago + datetime.timedelta(days=offset))
    community = Unit.objects.get(code=_grid_community_code())
    team = GridTeam.objects.filter(unit=community).first()
    members = list(team.members.all()) if team else []
    outcomes = [
        (Outcome.BOOKED, "", today + datetime.timedelta(days=2)),
        (Outcome.NO_ANSWER, "家中无人", None),
        (Outcome.REFUSED, "担心不良反应，家属不同意", None),
        (Outcome.DEFERRED, "近期住院治疗", today + datetime.timedelta(days=30)),
        (Outcome.CONTRAINDICATED, "严重过敏史（有医院证明）", None),
        (Outcome.ELSEWHERE, "长期随子女居住在外地", None),
    ]
    waiting = list(roster.roster(Person.objects.filter(unit__path__startswith=community.path), day=today)[:24])
    for index, person in enumerate(waiting):
        if members:
            roster.assign(actor=officer, persons=[person], member=members[index % len(members)])
        if index < 12:
            outcome, reason, until = outcomes[index % len(outcomes)]
            roster.record_attempt(
                actor=officer,
                person=person,
                channel=rng.choice([Channel.VISIT, Channel.PHONE]),
                outcome=outcome,
                reason=reason,
                until=until,
            )


def _grid_community_code() -> str:
    """The community of the demo's grid worker (the first community of 新城街道)."""
    return (
        Unit.objects.filter(parent__code="410108001", level=UnitLevel.COMMUNITY)
        .order_by("code")
        .values_list("code", flat=True)[0]
    )
