"""The role walk: every route, GET and every state-changing POST, pages and API, as each of the seven roles.

MATRIX declares, for each route, which roles it is for. A role it is for gets its answer (not 403/404, and no
"无权" refusal); any other role gets 403 or 404 (or the page's refusal message) and the database is left
exactly as it was. No role ever sees a full ID number or phone on a page, and a role that may not see alice
sees no trace of her. A route missing from the matrix fails the walk, so no route can be added without saying
whom it is for. Each request runs in a savepoint that is rolled back, so every role meets the same world.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fangxian.cases.tests.factories import by_case, by_recall, world_case
from fangxian.core.tests.test_route_walker import PUBLIC, body_text, named_routes

ROLES = ("district", "township_a", "township_b", "grid", "site", "clerk", "lab", "dept", "group", "venue")
EVERYONE = frozenset(ROLES)
# Who works on 新城街道's people (alice lives in 金河社区 第1网格): the district, 新城's office, 金河's team, and
# the clerk (masked). Site staff see her because she stays in their site; 刘寨 and the lab never do.
OFFICE = frozenset({"district", "township_a"})
FIELD = OFFICE | {"grid"}
READERS = FIELD | {"clerk"}


@dataclass
class Route:
    name: str
    allowed: frozenset
    method: str = "get"
    kwargs: object = None  # world -> URL kwargs
    data: object = None  # world -> request body (or query for GET)
    sees: frozenset | None = None  # roles that may see alice's name on it (default: allowed ∩ READERS)
    writes: bool = False  # an allowed role's request changes the database (the walk is not vacuous)
    json: bool = False
    query: str = ""
    op: str = ""  # the operation of an action route (release, check_out …), part of its URL


def csv_upload(name: str, text: str, encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def by_uuid(key: str):
    """URL kwargs of a world object addressed by its uuid."""
    return lambda w: {"uuid": w[key].uuid}


def by_pk(key: str):
    return lambda w: {"pk": w[key].pk}


def _category(code: str) -> int:
    from fangxian.venues.models import VenueCategory

    return VenueCategory.objects.get(code=code).pk


def _product(code: str) -> int:
    from fangxian.vaccination.models import Product

    return Product.objects.get(code=code).pk


def _with_case(w) -> dict:
    """No URL kwargs; alice's case made first, so that a list has her to show (or to leak)."""
    world_case(w)
    return {}


def _first_test(w):
    return w["xc_measure"].tests.order_by("day").first().pk


PAGES = [
    Route("home", EVERYONE, sees=frozenset()),
    Route("core:focus", EVERYONE, query="?unit=410108001", sees=frozenset()),
    Route("core:notifications", EVERYONE, sees=frozenset()),
    Route("core:notifications", EVERYONE, method="post", sees=frozenset()),
    Route("core:unit_tree", EVERYONE, sees=frozenset()),
    Route(
        "core:unit_children",
        frozenset({"district", "township_a", "clerk", "lab", "group", "venue"}),
        kwargs=lambda w: {"code": "410108001"},
        sees=frozenset(),
    ),
    Route("core:unit_import", frozenset({"district"})),
    Route(
        "core:unit_import",
        frozenset({"district"}),
        method="post",
        data=lambda w: {"district": w["huiji"].pk, "file": csv_upload("村.csv", "代码,名称\n410108001102,新建社区\n")},
        writes=True,
    ),
    Route("core:team_list", FIELD | {"township_b"}, sees=frozenset()),
    Route("core:team_create", OFFICE | {"township_b"}),
    Route(
        "core:team_create",
        OFFICE,
        method="post",
        data=lambda w: {"unit": w["xc_grid"].pk, "template": w["xc_team"].template_id, "name": "第1网格小组"},
        writes=True,
    ),
    Route("core:team_coverage", FIELD | {"township_b"}, sees=frozenset()),
    Route("core:team_detail", FIELD, kwargs=lambda w: {"pk": w["xc_team"].pk}, sees=frozenset()),
    Route(
        "core:team_action",
        OFFICE,
        method="post",
        kwargs=by_pk("xc_team"),
        op="add",
        data=lambda w: {"slot": w["xc_team"].template.slots.first().pk, "name": "金河民警", "phone": "13700000000"},
        writes=True,
    ),
    Route(
        "core:team_action",
        OFFICE,
        method="post",
        kwargs=by_pk("xc_team"),
        op="remove",
        data=lambda w: {"member": w["xc_team"].members.first().pk},
        writes=True,
    ),
    Route("core:user_list", OFFICE | {"township_b"}, sees=frozenset()),
    Route("core:user_create", OFFICE | {"township_b"}),
    Route(
        "core:user_create",
        OFFICE,
        method="post",
        data=lambda w: {
            "username": "jinhe2",
            "display_name": "金河网格员",
            "unit": w["xc_community"].pk,
            "role": "grid_member",
            "password": "a-long-enough-passphrase-1",
        },
        writes=True,
    ),
    Route("core:user_detail", OFFICE, kwargs=lambda w: {"pk": w["grid"].pk}, sees=frozenset()),
    Route("core:user_action", OFFICE, method="post", kwargs=by_pk("grid"), op="deactivate", writes=True),
    Route(
        "core:user_action",
        OFFICE,
        method="post",
        kwargs=by_pk("grid"),
        op="password",
        data=lambda w: {"password": "another-long-passphrase-2"},
        writes=True,
    ),
    Route(
        "core:user_action",
        OFFICE,
        method="post",
        kwargs=by_pk("grid"),
        op="grant",
        data=lambda w: {"role": "grid_member", "unit": w["xc_grid"].pk},
        writes=True,
    ),
    Route(
        "core:user_action",
        OFFICE,
        method="post",
        kwargs=by_pk("grid"),
        op="revoke",
        data=lambda w: {"grant": w["grid"].grants.first().pk},
        writes=True,
    ),
    Route("core:job_list", OFFICE | {"township_b"}, sees=frozenset()),
    Route("core:job_detail", OFFICE, kwargs=lambda w: {"uuid": w["xc_job"].uuid}, sees=frozenset()),
    Route("core:job_file", frozenset({"township_a"}), kwargs=lambda w: {"uuid": w["xc_job"].uuid}, sees=frozenset()),
    Route("core:change_list", OFFICE | {"township_b"}),
    Route("core:access_list", OFFICE | {"township_b"}),
    # people
    Route("people:list", READERS | {"township_b"}),
    Route("people:export", OFFICE | {"township_b"}),
    Route("people:create", FIELD | {"township_b"}),
    Route(
        "people:create",
        FIELD,
        method="post",
        data=lambda w: {
            "name": "新登记",
            "doc_type": "resident_id",
            "doc_number": "110101199001011237",
            "unit": w["xc_grid"].pk,
            "category": "registered",
            "reason": "走访",
        },
        writes=True,
    ),
    Route("people:detail", READERS, kwargs=by_uuid("alice")),
    Route("people:edit", FIELD, kwargs=by_uuid("alice")),
    Route(
        "people:edit",
        FIELD,
        method="post",
        kwargs=by_uuid("alice"),
        data=lambda w: {
            "name": w["alice"].name,
            "doc_type": w["alice"].doc_type,
            "doc_number": w["alice"].doc_number,
            "phone": w["alice"].phone,
            "address": "金河社区2号楼",
            "unit": w["xc_grid"].pk,
            "category": "registered",
            "reason": "搬家",
        },
        writes=True,
    ),
    Route(
        "people:delete",
        frozenset({"district"}),
        method="post",
        kwargs=lambda w: {"uuid": w["carol"].uuid},
        data=lambda w: {"reason": "重复登记"},
        writes=True,
    ),
    Route(
        "people:reveal",
        FIELD,
        method="post",
        kwargs=lambda w: {"uuid": w["alice"].uuid, "field": "doc_number"},
        sees=FIELD,
    ),
    # leads
    Route("leads:list", READERS | {"township_b"}),
    Route("leads:overdue", READERS | {"township_b"}),
    Route(
        "leads:handover",
        OFFICE,
        method="post",
        data=lambda w: {"lead": [str(w["xc_lead"].uuid)], "to_unit": w["xc_grid"].pk},
        writes=True,
    ),
    Route("leads:batches", READERS | {"township_b"}, sees=frozenset()),
    Route("leads:upload", frozenset({"district"})),
    Route("leads:import_template", frozenset({"district"}), sees=frozenset()),
    Route(
        "leads:upload",
        frozenset({"district"}),
        method="post",
        data=lambda w: {
            "district": w["huiji"].pk,
            "source": "city_push",
            "pusher": "市指挥部",
            "default_category": "other",
            "file": csv_upload("推送.csv", "姓名,身份证号\n推送人,110101199001011237\n"),
        },
        writes=True,
    ),
    Route(
        "leads:batch", frozenset({"district", "clerk"}), kwargs=lambda w: {"uuid": w["xc_batch"].uuid}, sees=frozenset()
    ),
    Route("leads:batch_commit", frozenset({"district"}), method="post", kwargs=lambda w: {"uuid": w["xc_batch"].uuid}),
    Route("leads:batch_mapping", frozenset({"district"}), kwargs=lambda w: {"uuid": w["xc_batch"].uuid}),
    Route("leads:batch_errors", frozenset({"district"}), kwargs=lambda w: {"uuid": w["xc_batch"].uuid}),
    Route(
        "leads:batch_feedback",
        frozenset({"district"}),
        kwargs=lambda w: {"uuid": w["xc_batch"].uuid},
        sees=frozenset({"district"}),
    ),
    Route("leads:riskareas", READERS | {"township_b"}, sees=frozenset()),
    Route("leads:riskarea_create", frozenset({"district"})),
    Route(
        "leads:riskarea_create",
        frozenset({"district"}),
        method="post",
        data=lambda w: {
            "district": w["huiji"].pk,
            "name": "北京市朝阳区",
            "level": "medium",
            "declared_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        writes=True,
    ),
    Route("leads:riskarea", frozenset({"district", "clerk"}), kwargs=lambda w: {"uuid": w["area"].uuid}),
    Route("leads:riskarea_leads", frozenset({"district"}), method="post", kwargs=lambda w: {"uuid": w["area"].uuid}),
    Route("leads:detail", READERS, kwargs=by_uuid("xc_lead")),
    Route(
        "leads:verify",
        FIELD,
        method="post",
        kwargs=by_uuid("xc_lead"),
        data=lambda w: {"outcome": "no_measure_needed", "current_address": "金河社区1号楼"},
        writes=True,
    ),
    # reports
    Route("reports:board", READERS | {"township_b"}, sees=frozenset()),
    Route("reports:file", FIELD | {"township_b"}, sees=frozenset()),
    Route(
        "reports:file",
        FIELD,
        method="post",
        query="?unit=410108001001",
        data=lambda w: {"form": w["report_form"].uuid, "unit": "410108001001", "remark": "今日无异常"},
        writes=True,
    ),
    Route("reports:monthly", READERS | {"township_b"}, sees=frozenset()),
    Route("reports:forms", READERS | {"township_b"}, sees=frozenset()),
    Route("reports:form_create", frozenset({"district"})),
    Route(
        "reports:form_create",
        frozenset({"district"}),
        method="post",
        data=lambda w: {
            "district": w["huiji"].pk,
            "name": "核酸日报",
            "due_time": "18:00",
            "levels": ["township"],
            "field-TOTAL_FORMS": "1",
            "field-INITIAL_FORMS": "0",
            "field-0-key": "sampled",
            "field-0-label": "采样人数",
            "field-0-kind": "integer",
            "field-0-required": "on",
        },
        writes=True,
    ),
    Route("reports:briefings", OFFICE | {"township_b", "clerk"}, sees=frozenset()),
    Route(
        "reports:briefing_draft",
        frozenset({"district"}),
        method="post",
        data=lambda w: {"district": "410108"},
    ),
    Route(
        "reports:briefing",
        frozenset({"district", "clerk"}),
        kwargs=lambda w: {"uuid": w["briefing"].uuid},
        sees=frozenset(),
    ),
    Route(
        "reports:briefing_action",
        frozenset({"district"}),
        method="post",
        kwargs=by_uuid("briefing"),
        op="edit",
        data=lambda w: {"overall": "总体平稳", "problems": "", "next_steps": ""},
        writes=True,
    ),
    Route(
        "reports:briefing_file",
        frozenset({"district", "clerk"}),
        kwargs=lambda w: {"uuid": w["briefing"].uuid, "kind": "xlsx"},
        sees=frozenset(),
    ),
    Route("dashboard:board", READERS | {"township_b"}, sees=frozenset()),
    Route("dashboard:displays", OFFICE | {"township_b"}, sees=frozenset()),
    Route(
        "dashboard:displays",
        OFFICE,
        method="post",
        data=lambda w: {"unit": w["xincheng"].pk, "label": "新城二号屏", "hours": 12},
        sees=frozenset(),
        writes=True,
    ),
    Route("dashboard:display_close", OFFICE, method="post", kwargs=by_pk("xc_display"), sees=frozenset(), writes=True),
    # control
    Route("control:measures", READERS | {"township_b", "site"}, sees=READERS | {"site"}),
    Route("control:tests_due", READERS | {"township_b", "site"}, sees=READERS | {"site"}),
    Route("control:checks", FIELD | {"township_b", "site"}, sees=FIELD | {"site"}),
    Route("control:board", READERS | {"township_b", "site"}, sees=READERS | {"site"}),
    Route("control:protocols", READERS | {"township_b", "site"}, sees=frozenset()),
    Route(
        "control:protocols",
        frozenset({"district"}),
        method="post",
        data=lambda w: {"protocol": "measures20"},
        writes=True,
    ),
    Route("control:place", FIELD, kwargs=by_uuid("xc_lead")),
    Route(
        "control:measure", READERS | {"site"}, kwargs=lambda w: {"uuid": w["xc_measure"].uuid}, sees=READERS | {"site"}
    ),
    Route("control:measure_action", OFFICE | {"site"}, method="post", kwargs=by_uuid("xc_measure"), op="release"),
    Route(
        "control:measure_action",
        OFFICE | {"site"},
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="end",
        data=lambda w: {"reason": "left_area"},
        writes=True,
    ),
    Route(
        "control:measure_action",
        FIELD | {"site"},
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="extend",
        data=lambda w: {"days": "2", "reason": "复核"},
        writes=True,
    ),
    Route(
        "control:measure_action",
        FIELD | {"site"},
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="test",
        data=lambda w: {"test": _first_test(w), "result": "negative"},
        writes=True,
    ),
    Route(
        "control:measure_action",
        FIELD | {"site"},
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="door_sensor",
        data=lambda w: {"device": "XC-DOOR-2"},
        writes=True,
    ),
    # alice already stays in a site: arranging her transfer is answered with that, taking one back with none
    Route(
        "control:measure_action",
        OFFICE | {"site"},  # a grid team sees no sites
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="send",
        data=lambda w: {"site": w["xc_site"].uuid},
    ),
    Route(
        "control:measure_action",
        FIELD | {"site"},
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="cancel_send",
    ),
    # only the district takes back a mistaken release, check-out or hand-over (alice's measure is still active:
    # it is answered with that)
    Route(
        "control:measure_action",
        frozenset({"district"}),
        method="post",
        kwargs=by_uuid("xc_measure"),
        op="undo_end",
    ),
    Route(
        "sites:action",
        frozenset({"district"}),
        method="post",
        kwargs=by_uuid("xc_site"),
        op="undo_check_out",
        data=lambda w: {"stay": w["dora_stay"].uuid},
        writes=True,
    ),
    Route(
        "leads:undo_handover",
        frozenset({"district"}),
        method="post",
        kwargs=by_uuid("xc_lead"),
        data=lambda w: {"handover": w["xc_lead"].handovers.order_by("-at", "-id").first().pk},
    ),
    # sites
    Route("sites:list", OFFICE | {"township_b", "site", "clerk"}, sees=frozenset()),
    Route(
        "sites:detail",
        OFFICE | {"site", "clerk"},
        kwargs=lambda w: {"uuid": w["xc_site"].uuid},
        sees=frozenset({"district", "township_a", "site", "clerk"}),
    ),
    Route(
        "sites:action",
        frozenset({"district", "site"}),
        method="post",
        kwargs=by_uuid("xc_site"),
        op="check_out",
        data=lambda w: {"stay": w["alice"].stays.get().uuid, "reason": "hospital"},
        writes=True,
    ),
    Route(
        "sites:action",
        frozenset({"district", "site"}),
        method="post",
        kwargs=by_uuid("xc_site"),
        op="cleaned",
        data=lambda w: {"room": w["cleaning_room"].pk},
        writes=True,
    ),
    # testing
    Route("testing:campaigns", READERS | {"township_b", "lab", "group"}, sees=frozenset()),
    Route("testing:campaign_create", frozenset({"district", "group"})),
    Route(
        "testing:campaign_create",
        frozenset({"district", "group"}),
        method="post",
        data=lambda w: {
            "name": "第二轮",
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (timezone.localtime() + datetime.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "pool_10",
            "zones": [w["xincheng"].pk],
        },
        writes=True,
    ),
    Route(
        "testing:campaign",
        READERS | {"township_b", "lab", "group"},
        kwargs=lambda w: {"uuid": w["campaign"].uuid},
        sees=frozenset(),
    ),
    Route(
        "testing:campaign",
        OFFICE | {"group"},
        method="post",
        kwargs=lambda w: {"uuid": w["campaign"].uuid},
        data=lambda w: {"unit": w["xc_community"].pk, "name": "金河二号采样点", "address": "金河社区3号"},
        writes=True,
    ),
    Route(
        "testing:campaign_zone",
        frozenset({"district", "group"}),
        method="post",
        kwargs=lambda w: {"uuid": w["campaign"].uuid},
        data=lambda w: {"zone": w["campaign"].zones.first().pk, "mode": "single", "head_count": "30"},
        writes=True,
        sees=frozenset(),
    ),
    Route(
        "testing:not_sampled",
        READERS,
        kwargs=lambda w: {"uuid": w["campaign"].uuid, "code": w["xc_community"].code},
        sees=frozenset(),  # alice is under a measure: not expected in this round
    ),
    Route("testing:points", READERS | {"township_b", "lab", "group"}, sees=frozenset()),
    Route(
        "testing:sampling", frozenset({"district", "township_a", "lab"}), kwargs=lambda w: {"uuid": w["xc_point"].uuid}
    ),
    Route(
        "testing:sampling",
        frozenset({"district", "township_a", "lab"}),
        method="post",
        kwargs=lambda w: {"uuid": w["xc_point"].uuid},
        data=lambda w: {
            "code": "XC000002",
            "mode": "pool_10",
            "members": f"{w['bob'].doc_number} 刘寨乙",
        },
        writes=True,
    ),
    Route(
        "testing:sampling_action",
        frozenset({"district", "township_a", "lab"}),
        method="post",
        kwargs=lambda w: {"uuid": w["xc_point"].uuid},
        op="close",
        data=lambda w: {"code": "XC000001"},  # registered closed: refused with its reason, nothing written
        sees=frozenset(),
    ),
    Route(
        "testing:sampling_action",
        frozenset({"district", "township_a", "lab"}),
        method="post",
        kwargs=lambda w: {"uuid": w["xc_point"].uuid},
        op="ship",
        data=lambda w: {"box": "BOX-1"},
        writes=True,
        sees=frozenset(),
    ),
    Route("testing:tubes", READERS | {"township_b", "lab", "group"}, sees=frozenset()),
    Route("testing:results", frozenset({"district", "lab"}), sees=frozenset()),
    Route(
        "testing:results",
        frozenset({"district", "lab"}),
        method="post",
        data=lambda w: {"lab": "金域", "file": csv_upload("结果.csv", "管码,检测结果\nXC000001,阴性\n")},
        writes=True,
        sees=frozenset(),
    ),
    Route("testing:recalls", READERS | {"township_b", "group"}, query="?status=held", sees=frozenset()),
    # alice is one of the teachers (教育局's sector): the district, her township's people and the testing group see her.
    Route("testing:key_groups", READERS | {"township_b", "dept", "group"}, sees=READERS | {"dept", "group"}),
    Route(
        "testing:key_group_create",
        frozenset({"district", "group"}),
        method="post",
        data=lambda w: {"name": "快递从业人员", "interval_days": "3"},
        writes=True,
    ),
    Route("testing:lookup", READERS | {"township_b", "site", "lab", "group"}, sees=frozenset()),
    Route(
        "testing:lookup",
        READERS | {"township_b", "site", "lab", "group"},
        method="post",
        data=lambda w: {"doc_number": w["alice"].doc_number, "hours": 48},
        sees=frozenset(),
    ),
    # venues
    Route("venues:list", READERS | {"township_b", "venue", "dept"}, sees=frozenset()),
    Route("venues:create", frozenset({"district", "township_a", "township_b", "grid"}), sees=frozenset()),
    Route(
        "venues:create",
        frozenset({"district", "township_a", "grid"}),  # 刘寨 cannot name a unit of 新城
        method="post",
        data=lambda w: {
            "name": "金河药店",
            "category": _category("pharmacy"),
            "unit": w["xc_community"].pk,
            "address": "金河社区2号",
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("venues:import", frozenset({"district", "township_a", "township_b", "grid"}), sees=frozenset()),
    Route(
        "venues:import",
        frozenset({"district", "township_a", "township_b", "grid"}),  # 刘寨 is told the community is not its own
        method="post",
        data=lambda w: {
            "file": csv_upload("场所.csv", "场所名称,类别,所属社区,地址\n金河书店,其他,410108001001,金河路9号\n", "gbk")
        },
        sees=frozenset(),
    ),
    Route("venues:detail", READERS | {"venue"}, kwargs=by_uuid("xc_venue"), sees=frozenset()),
    Route("venues:door", frozenset({"district", "venue"}), kwargs=by_uuid("xc_venue"), sees=frozenset()),
    # The poster: those who put it up (the venue's managers and its own staff), not a read-only role.
    Route("venues:poster", FIELD | {"venue"}, kwargs=by_uuid("xc_venue"), sees=frozenset()),
    Route(
        "venues:door",
        frozenset({"district", "venue"}),
        method="post",
        kwargs=by_uuid("xc_venue"),
        data=lambda w: {"doc_number": w["alice"].doc_number, "colour": "green"},
        sees=frozenset({"district", "venue"}),  # the number typed, masked, to check against the card in hand
        writes=True,
    ),
    Route("venues:register", READERS | {"township_b", "venue", "dept"}, sees=frozenset()),
    # The register's export: the offices and the regulating departments (who may export), not a venue's staff.
    Route("venues:register", OFFICE | {"township_b", "dept"}, query="?export=xlsx", sees=frozenset()),
    Route("venues:register", frozenset({"district"}), method="post", sees=frozenset()),
    Route("venues:covisit", frozenset({"district"}), sees=frozenset()),
    Route(
        "venues:covisit",
        frozenset({"district"}),
        method="post",
        data=lambda w: {"cases": w["alice"].doc_number},
        sees=frozenset({"district"}),
    ),
    Route("venues:scan_upload", frozenset({"district", "venue"}), sees=frozenset()),
    Route(
        "venues:scan_upload",
        frozenset({"district", "venue"}),
        method="post",
        data=lambda w: {
            "file": csv_upload(
                "扫码.csv",
                f"场所码,证件号码,姓名,扫码时间,健康码\n{w['xc_venue'].code},{w['bob'].doc_number},刘寨乙,"
                f"{timezone.localtime():%Y-%m-%d %H:%M:%S},黄码\n",
                "gbk",
            )
        },
        sees=frozenset(),
        writes=True,
    ),
    Route(
        "venues:action",
        frozenset({"district", "township_a", "grid"}),
        method="post",
        kwargs=by_uuid("xc_venue"),
        op="regenerate",
        sees=frozenset(),
        writes=True,
    ),
    # cases: the district investigates (and the tracing group); the townships follow their own cases
    Route("cases:list", OFFICE | {"township_b"}, kwargs=_with_case, sees=OFFICE),
    Route("cases:list", OFFICE | {"township_b"}, kwargs=_with_case, query="?export=xlsx", sees=OFFICE),
    Route("cases:create", frozenset({"district"}), sees=frozenset()),
    Route(
        "cases:create",
        frozenset({"district"}),
        method="post",
        data=lambda w: {
            "doc_type": "resident_id",
            "doc_number": w["bob"].doc_number,
            "classification": "confirmed",
            "found_by": "fever_clinic",
            "first_positive_at": (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("cases:detail", OFFICE, kwargs=by_case(), sees=OFFICE),
    # The public notice names nobody: not even those who may read the case see her name on it.
    Route("cases:notice", OFFICE, kwargs=by_case(), sees=frozenset()),
    Route("cases:outbound", OFFICE, kwargs=by_case(), sees=frozenset()),
    Route("cases:entry_create", frozenset({"district"}), kwargs=by_case(), sees=frozenset()),
    Route(
        "cases:entry_create",
        frozenset({"district"}),
        method="post",
        kwargs=by_case(),
        data=lambda w: {
            "start": (timezone.localtime() - datetime.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M"),
            "end": (timezone.localtime() - datetime.timedelta(hours=19)).strftime("%Y-%m-%dT%H:%M"),
            "place": "金河菜市场",
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("cases:contact_create", frozenset({"district"}), kwargs=by_case(), sees=frozenset()),
    Route(
        "cases:contact_create",
        frozenset({"district"}),
        method="post",
        kwargs=by_case(),
        data=lambda w: {
            "doc_type": "resident_id",
            "doc_number": w["carol"].doc_number,
            "relation": "household",
            "classification": "close",
            "exposed_at": (timezone.localtime() - datetime.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("cases:action", frozenset({"district"}), method="post", kwargs=by_case(), op="core", writes=True),
    Route("cases:action", frozenset({"district"}), method="post", kwargs=by_case(), op="push", writes=True),
    Route(
        "cases:action",
        frozenset({"district"}),
        method="post",
        kwargs=by_case(),
        op="reclassify",
        data=lambda w: {"to_class": "confirmed", "note": "出现症状"},
        writes=True,
    ),
    Route(
        "cases:entry_action",
        frozenset({"district"}),
        method="post",
        kwargs=by_case("xc_entry"),
        op="delete",
        writes=True,
    ),
    Route(
        "cases:contact_action",
        frozenset({"district"}),
        method="post",
        kwargs=by_case("xc_contact"),
        op="household",
    ),
    Route("cases:chains", OFFICE | {"township_b"}, kwargs=_with_case, sees=frozenset()),
    # vaccination: figures for whoever reads vaccination; the roster and a person's page for the field; the import
    # for those who record doses; targets set by the district, population figures by the offices
    Route("vaccination:coverage", READERS | {"township_b"}, sees=frozenset()),
    Route("vaccination:coverage", OFFICE | {"township_b"}, query="?export=xlsx", sees=frozenset()),
    Route("vaccination:roster", READERS | {"township_b"}),
    Route("vaccination:roster", OFFICE | {"township_b"}, query="?export=xlsx", sees=OFFICE),
    Route("vaccination:person", READERS, kwargs=by_uuid("alice")),
    Route(
        "vaccination:person_action",
        FIELD,
        method="post",
        kwargs=by_uuid("alice"),
        op="attempt",
        data=lambda w: {"channel": "phone", "outcome": "no_answer"},
        sees=frozenset(),
        writes=True,
    ),
    Route(
        "vaccination:person_action",
        FIELD,
        method="post",
        kwargs=by_uuid("alice"),
        op="standing",
        data=lambda w: {
            "standing": "deferred",
            "review_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
            "reason": "近期手术",
        },
        sees=frozenset(),
        writes=True,
    ),
    Route(
        "vaccination:person_action",
        FIELD,
        method="post",
        kwargs=by_uuid("alice"),
        op="assign",
        data=lambda w: {"member": w["xc_team"].members.first().pk},
        sees=frozenset(),
        writes=True,
    ),
    Route(
        "vaccination:person_action",
        OFFICE,
        method="post",
        kwargs=by_uuid("alice"),
        op="dose",
        data=lambda w: {"kind": "first", "product": _product("sinovac"), "given_on": "2021-05-01"},
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination:import", OFFICE | {"township_b"}, sees=frozenset()),
    Route(
        "vaccination:import",
        OFFICE,
        method="post",
        data=lambda w: {
            "file": csv_upload(
                "接种.csv",
                f"姓名,身份证号,接种日期,剂次,生产企业\n新城甲,{w['alice'].doc_number},2021-05-01,第1剂,科兴\n",
                "gbk",
            ),
            "person_unit": w["xc_community"].pk,
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination:import_detail", OFFICE, kwargs=by_uuid("dose_import"), sees=frozenset()),
    Route(
        "vaccination:import_detail", OFFICE, method="post", kwargs=by_uuid("dose_import"), sees=frozenset(), writes=True
    ),
    Route("vaccination:targets", READERS | {"township_b"}, sees=frozenset()),
    Route(
        "vaccination:targets",
        frozenset({"district"}),
        method="post",
        data=lambda w: {
            "title": "80 岁以上全程",
            "bands": ["80+"],
            "milestone": "full",
            "rate": "80",
            "source": "registered",
            "starts_on": timezone.localdate().isoformat(),
            "due_on": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination:target", READERS | {"township_b"}, kwargs=by_uuid("vaccination_target"), sees=frozenset()),
    Route(
        "vaccination:target_end",
        frozenset({"district"}),
        method="post",
        kwargs=by_uuid("vaccination_target"),
        data=lambda w: {"reason": "阶段任务完成"},
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination:populations", READERS | {"township_b"}, sees=frozenset()),
    Route(
        "vaccination:populations",
        OFFICE,
        method="post",
        data=lambda w: {
            "unit": w["xincheng"].pk,
            "band": "80+",
            "source": "headcount",
            "count": 900,
            "as_of": "2026-11-01",
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("cases:policy", frozenset({"district"}), sees=frozenset()),
    Route(
        "cases:policy",
        frozenset({"district"}),
        method="post",
        data=lambda w: {"core_hours": 3, "report_hours": 20, "close_contact_hours": 6, "secondary_contact_hours": 10},
        sees=frozenset(),
        writes=True,
    ),
    Route("cases:action", frozenset({"district"}), method="post", kwargs=by_case(), op="join", writes=True),
    Route("case-chains", OFFICE | {"township_b"}, kwargs=_with_case, sees=frozenset()),
    Route("cases:push_all", frozenset({"district"}), method="post", sees=frozenset(), writes=True),
    Route("cases:from_recall", frozenset({"district"}), kwargs=by_recall("carol"), sees=frozenset()),
    Route(
        "cases:from_recall",
        frozenset({"district"}),
        method="post",
        kwargs=by_recall("carol"),
        sees=frozenset(),
        writes=True,
    ),
    # API
    Route("case-list", OFFICE | {"township_b"}, kwargs=_with_case, sees=OFFICE),
    Route("case-detail", OFFICE, kwargs=by_case(), sees=OFFICE),
    Route(
        "case-contacts",
        frozenset({"district"}),
        method="post",
        json=True,
        kwargs=by_case(),
        data=lambda w: {
            "doc_number": w["dora"].doc_number,
            "relation": "work",
            "classification": "close",
            "exposed_at": (timezone.now() - datetime.timedelta(hours=6)).isoformat(),
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("case-push", frozenset({"district"}), method="post", json=True, kwargs=by_case(), writes=True),
    Route("vaccination-dose-list", READERS | {"township_b"}, sees=frozenset()),
    Route(
        "vaccination-dose-list",
        OFFICE,
        method="post",
        json=True,
        data=lambda w: {
            "doses": [
                {"doc_number": w["alice"].doc_number, "kind": "first", "product": "sinovac", "given_on": "2021-05-01"}
            ]
        },
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination-person-list", READERS | {"township_b"}),
    Route("vaccination-person-detail", READERS, kwargs=by_uuid("alice")),
    Route(
        "vaccination-person-attempts",
        FIELD,
        method="post",
        json=True,
        kwargs=by_uuid("alice"),
        data=lambda w: {"channel": "visit", "outcome": "no_answer"},
        sees=frozenset(),
        writes=True,
    ),
    Route("vaccination-target-list", READERS | {"township_b"}, sees=frozenset()),
    Route(
        "vaccination-target-detail", READERS | {"township_b"}, kwargs=by_uuid("vaccination_target"), sees=frozenset()
    ),
    Route("api-vaccination-coverage", READERS | {"township_b"}, sees=frozenset()),
    Route("unit-list", EVERYONE, sees=frozenset()),
    Route(
        "unit-detail",
        frozenset({"district", "township_a", "clerk", "lab", "group", "venue"}),
        kwargs=lambda w: {"code": "410108001"},
        sees=frozenset(),
    ),
    Route("person-list", READERS | {"township_b"}),
    Route(
        "person-list",
        FIELD,
        method="post",
        json=True,
        data=lambda w: {
            "name": "接口登记",
            "doc_type": "resident_id",
            "doc_number": "110101199001011237",
            "unit": w["xc_grid"].code,
        },
        writes=True,
    ),
    Route("person-detail", READERS, kwargs=by_uuid("alice")),
    Route(
        "person-reveal", FIELD, method="post", kwargs=lambda w: {"uuid": w["alice"].uuid, "field": "phone"}, sees=FIELD
    ),
    Route("dashboard-detail", READERS, kwargs=lambda w: {"code": w["xc_community"].code}, sees=frozenset()),
    Route("recall-list", READERS | {"township_b", "group"}, sees=frozenset()),
    Route("venue-list", READERS | {"township_b", "venue", "dept"}, sees=frozenset()),
    Route("venue-detail", READERS | {"venue"}, kwargs=by_uuid("xc_venue"), sees=frozenset()),
    Route(
        "api-venues-scans",
        frozenset({"district", "venue"}),
        method="post",
        json=True,
        data=lambda w: {
            "scans": [
                {
                    "venue_code": w["xc_venue"].code,
                    "doc_number": w["bob"].doc_number,
                    "scanned_at": timezone.localtime().isoformat(),
                    "code_colour": "red",
                }
            ]
        },
        writes=True,
        sees=frozenset(),
    ),
    Route("api-venues-register", READERS | {"township_b", "venue", "dept"}, sees=frozenset()),
    Route(
        "api-venues-covisit",
        frozenset({"district"}),
        method="post",
        json=True,
        data=lambda w: {"cases": [w["alice"].doc_number]},
        sees=frozenset({"district"}),
    ),
    Route(
        "api-door-events",
        FIELD | {"site"},
        method="post",
        json=True,
        data=lambda w: {"device": "XC-DOOR-1"},
        writes=True,
        sees=frozenset(),
    ),
    Route(
        "api-testing-tubes",
        frozenset({"district", "township_a", "lab"}),
        method="post",
        json=True,
        data=lambda w: {
            "point": str(w["xc_point"].uuid),
            "tubes": [
                {
                    "code": "XC000003",
                    "pool_size": 10,
                    "members": [{"doc_number": w["bob"].doc_number, "name": "刘寨乙"}],
                }
            ],
        },
        writes=True,
        sees=frozenset(),
    ),
    Route(
        "api-testing-results",
        frozenset({"district", "lab"}),
        method="post",
        json=True,
        data=lambda w: {"lab": "金域", "results": [{"tube_code": "XC000001", "result": "阴性"}]},
        writes=True,
        sees=frozenset(),
    ),
    Route(
        "api-testing-latest-negative",
        READERS | {"township_b", "site", "lab", "group"},
        query="?doc_number=410108199003071239",
        sees=frozenset(),
    ),
]

# Routes walked elsewhere: the public ones (no data), and the router's index of links.
NOT_WALKED = PUBLIC


def route_id(route: Route) -> str:
    operation = f"/{route.op}" if route.op else ""
    return f"{route.method.upper()} {route.name}{operation}{' ' + route.query if route.query else ''}"


def test_every_route_is_declared_in_the_matrix():
    declared = {route.name for route in PAGES}
    missing = named_routes() - declared - NOT_WALKED
    assert not missing, f"declare whom these routes are for in the role walk: {sorted(missing)}"


def test_the_matrix_names_only_real_roles():
    for route in PAGES:
        assert route.allowed <= EVERYONE, route.name
        assert route.sees is None or route.sees <= route.allowed, route.name


def fingerprint() -> dict:
    """What a refused request must leave as it was: row counts of every table the routes write, and the
    fields the walked actions change."""
    from django.apps import apps
    from django.db import connection

    models = [
        model
        for model in apps.get_models()
        if model._meta.app_label
        in {
            "core",
            "people",
            "leads",
            "control",
            "sites",
            "reports",
            "testing",
            "dashboard",
            "venues",
            "cases",
            "vaccination",
        }
        and model._meta.label not in {"core.AccessRecord"}
    ]
    # Every table's row count in one statement (a query per table, twice per role and route, was a fifth of
    # the walk's time).
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in models)
        )
        row = cursor.fetchone()
    counts = {model._meta.label: count for model, count in zip(models, row, strict=True)}
    from fangxian.control.models import Measure, ScheduledTest
    from fangxian.core.models import Grant, Notification, User
    from fangxian.dashboard.models import Display
    from fangxian.leads.models import Lead
    from fangxian.people.models import Person
    from fangxian.reports.models import Briefing
    from fangxian.sites.models import Arrival, Room, Stay
    from fangxian.testing.models import Tube

    counts["state"] = (
        list(Lead.objects.order_by("pk").values_list("status", "unit_id", "outcome")),
        list(Measure.objects.order_by("pk").values_list("status", "end_date", "door_sensor")),
        list(ScheduledTest.objects.order_by("pk").values_list("result")),
        list(Person.objects.order_by("pk").values_list("address", "unit_id")),
        list(User.objects.order_by("pk").values_list("password", "is_active")),
        list(Grant.objects.order_by("pk").values_list("role", "unit_id")),
        list(Stay.objects.order_by("pk").values_list("checked_out_at")),
        list(Room.objects.order_by("pk").values_list("status")),
        list(Tube.objects.order_by("pk").values_list("result", "status")),
        list(Briefing.objects.order_by("pk").values_list("texts", "status")),
        list(Notification.objects.order_by("pk").values_list("read_at")),
        list(Display.objects.order_by("pk").values_list("revoked_at")),
        list(Arrival.objects.order_by("pk").values_list("cancelled_at", "stay_id")),
    )
    return counts


# What a write may change without a change record: the audit itself, background jobs (each keeps its own
# owner, times and outcome), a user's own inbox being read.
UNRECORDED = {"core.ChangeRecord", "core.Job"}


def recorded_data(counts: dict) -> dict:
    """The fingerprint less what needs no change record (a notification read is its own record)."""
    kept = {label: count for label, count in counts.items() if label not in UNRECORDED}
    state = list(kept.pop("state"))
    state[10] = None  # Notification.read_at
    return {**kept, "state": state}


def send(client, route: Route, world):
    kwargs = {**(route.kwargs(world) if route.kwargs else {}), **({"operation": route.op} if route.op else {})}
    url = reverse(route.name, kwargs=kwargs or None) + route.query
    data = route.data(world) if route.data else {}
    if route.method == "get":
        return url, client.get(url)
    if route.json:
        return url, client.post(url, data, content_type="application/json")
    return url, client.post(url, data)


def refusal_message(response) -> bool:
    """A page that refuses with a message and sends the user back (an error message)."""
    request = getattr(response, "wsgi_request", None)
    if request is None:
        return False
    return any(message.level >= messages.ERROR for message in get_messages(request))


def permission_message(response) -> bool:
    request = getattr(response, "wsgi_request", None)
    if request is None:
        return False
    return any("无权" in str(message) or "不能使用" in str(message) for message in get_messages(request))


def form_refused(response) -> bool:
    """A form sent back with its errors (a choice outside the user's units is not a valid choice)."""
    context = getattr(response, "context", None)
    if not context:
        return False
    form = context.get("form")
    return bool(form is not None and getattr(form, "errors", None))


def traces(world, role: str, route: Route, *, allowed: bool, typed: str) -> list[str]:
    """What must not appear in this role's answer: full numbers never (but from a reveal), and alice's name,
    id and masked number where the role may not see her."""
    alice = world["alice"]
    forbidden = []
    # A reveal, the edit form (its opening is recorded as a reveal) and the pushed list's files for the district.
    full_numbers_shown = route.name in {
        "people:reveal",
        "person-reveal",
        "people:edit",
        "leads:batch_errors",
        "leads:batch_feedback",
    }
    if not (allowed and full_numbers_shown):
        forbidden += [alice.doc_number, alice.phone]
    sees = route.sees if route.sees is not None else route.allowed & READERS
    if not (allowed and role in sees):
        forbidden += [alice.name, str(alice.uuid), alice.masked_doc_number]
    # What the request itself carries (a URL with her id, a number typed into a lookup) is echoed, not leaked.
    return [trace for trace in forbidden if trace not in typed]


@pytest.mark.parametrize("route", PAGES, ids=route_id)
def test_each_role_gets_what_the_matrix_declares(route, walk_world, client_for):
    world = walk_world
    wrote = False
    for role in ROLES:
        allowed = role in route.allowed
        client = client_for(role)
        with transaction.atomic():
            before = fingerprint()
            url, response = send(client, route, world)
            after = fingerprint()
            status = response.status_code
            text = body_text(response)
            refused = status in {400, 403, 404} or refusal_message(response) or form_refused(response)
            denied = permission_message(response)
            transaction.set_rollback(True)
        label = f"{route_id(route)} as {role}"
        typed = url + route.query
        if allowed:
            assert status not in {401, 403, 404, 405} and status < 500, f"{label}: {status}"
            assert not denied, f"{label}: refused by a message"
            wrote = wrote or before != after
            if recorded_data(before) != recorded_data(after):
                assert after["core.ChangeRecord"] > before["core.ChangeRecord"], (
                    f"{label}: a write left no change record"
                )
        else:
            assert refused, f"{label}: answered {status} without refusing"
            assert before == after, f"{label}: a refused request changed the database"
        for trace in traces(world, role, route, allowed=allowed, typed=typed):
            assert trace not in text, f"{label}: shows {trace!r}"
    if route.writes:
        assert wrote, f"{route_id(route)}: no allowed role's request changed anything (the walk would be vacuous)"


def test_removing_a_route_from_the_matrix_fails_the_walk(monkeypatch):
    """The walk's own check: take one route out and the declaration test must fail."""
    import fangxian.core.tests.test_role_walk as walk

    monkeypatch.setattr(walk, "PAGES", [route for route in PAGES if route.name != "people:detail"])
    with pytest.raises(AssertionError, match="people:detail"):
        walk.test_every_route_is_declared_in_the_matrix()
