"""What each role may do: capabilities, denied by default.

A capability is one kind of work (see the registry, release a person from control, report tube results …).
A role is a set of capabilities, kept here as data and written out to docs/permissions.md
(`fangxian permissions --write`); a grant gives a role over a unit and everything below it.

Models say which capability each verb on them needs (`capabilities = {"view": …, "change": …}`): a model
that names none for a verb is closed to every role for it. restrict() and the services' require() read
only this module, so what a role can do is decided in one place.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import GroupDomain, Role


class Capability(models.TextChoices):
    UNITS_VIEW = "units.view", _("查看单位层级")
    UNITS_MANAGE = "units.manage", _("管理单位（导入、新建、改名）")
    USERS_MANAGE = "users.manage", _("管理本单位及下级的用户")
    TEAMS_VIEW = "teams.view", _("查看包保小组及成员电话")
    TEAMS_MANAGE = "teams.manage", _("组建包保小组、增减成员")
    PERSONS_VIEW = "persons.view", _("查看人员信息（脱敏）")
    PERSONS_CHANGE = "persons.change", _("登记、修改人员信息")
    PERSONS_DELETE = "persons.delete", _("删除人员信息")
    REVEAL = "persons.reveal", _("查看完整证件号与电话（留痕）")
    LEADS_VIEW = "leads.view", _("查看协查线索")
    LEADS_IMPORT = "leads.import", _("导入推送名单")
    LEADS_ASSIGN = "leads.assign", _("下发、转办协查线索")
    LEADS_VERIFY = "leads.verify", _("核查反馈协查线索")
    RISK_AREAS_MANAGE = "riskareas.manage", _("设定风险区、据此生成线索")
    MEASURES_VIEW = "measures.view", _("查看管控人员、检测与健康监测")
    MEASURES_CHANGE = "measures.change", _("落实管控、记录检测与健康监测")
    MEASURES_RELEASE = "measures.release", _("解除管控")
    PLAN_OVERRIDE = "measures.override", _("越过管控计划办理离开（区指挥部，留痕）")
    UNDO = "actions.undo", _("一天内撤销误办的离开、解除、转办（区指挥部，留痕）")
    PROTOCOLS_MANAGE = "protocols.manage", _("选定防控方案版本")
    SITES_VIEW = "sites.view", _("查看隔离点")
    SITES_MANAGE = "sites.manage", _("管理隔离点（启用、储备、房间）")
    SITES_OPERATE = "sites.operate", _("隔离点入住、退房、转点、保洁")
    REPORTS_VIEW = "reports.view", _("查看日报报送情况")
    REPORTS_FILE = "reports.file", _("填报日报、零报告")
    REPORT_FORMS_MANAGE = "reports.forms", _("设置日报表")
    BRIEFINGS_VIEW = "briefings.view", _("查看防控日报（通报）")
    BRIEFINGS_WRITE = "briefings.write", _("起草、修改、签发防控日报")
    DASHBOARD_VIEW = "dashboard.view", _("查看指挥大屏")
    DISPLAYS_MANAGE = "dashboard.displays", _("开设、收回大屏投放链接")
    TESTING_VIEW = "testing.view", _("查看核酸轮次、采样点与采样管")
    CAMPAIGNS_MANAGE = "testing.campaigns", _("组织全员核酸")
    POINTS_MANAGE = "testing.points", _("设置采样点")
    TUBES_REGISTER = "testing.register", _("采样登记（扫管、扫码）")
    RESULTS_REPORT = "testing.results", _("上报检测结果")
    SAMPLES_VIEW = "testing.samples", _("查看受检人员")
    RECALLS_VIEW = "testing.recalls", _("查看混管阳性召回名单")
    KEY_GROUPS_VIEW = "testing.keygroups", _("查看重点人群")
    KEY_GROUPS_MANAGE = "testing.keygroups_manage", _("设置重点人群、增加成员")
    NEGATIVE_LOOKUP = "testing.lookup", _("48 小时核酸查询")
    VENUES_VIEW = "venues.view", _("查看场所与场所码")
    VENUES_MANAGE = "venues.manage", _("登记场所、生成场所码")
    VENUE_SCANS_VIEW = "venues.scans", _("查看场所扫码登记（异常码、未接种、无 48 小时核酸）")
    DOOR_CHECK = "venues.door", _("电子卡口查验并登记扫码")
    SCANS_INGEST = "venues.ingest", _("上传扫码记录（数字哨兵、平台导出）")
    COVISIT_TRACE = "venues.covisit", _("时空伴随排查（查看伴随人员名单）")
    CASES_VIEW = "cases.view", _("查看病例、活动轨迹与密接")
    CASES_INVESTIGATE = "cases.investigate", _("流调：建立病例、录入轨迹与密接、推送协查")
    VACCINATION_VIEW = "vaccination.view", _("查看疫苗接种情况（覆盖率、接种记录、动员名单）")
    DOSES_RECORD = "vaccination.record", _("录入、导入接种记录")
    MOBILISE = "vaccination.mobilise", _("接种动员：记录联系结果、暂缓、禁忌、拒绝")
    VACCINATION_TARGETS = "vaccination.targets", _("设定接种目标、录入人口基数")
    AUDIT_VIEW = "audit.view", _("查看变更与访问记录")
    JOBS_VIEW = "jobs.view", _("查看后台任务")
    EXPORT = "lists.export", _("导出列表")
    NOTIFICATIONS_VIEW = "notifications.view", _("接收本单位通知")


C = Capability

_EVERY_ROLE = {C.UNITS_VIEW, C.NOTIFICATIONS_VIEW}
_READ_WORK = {
    C.PERSONS_VIEW,
    C.LEADS_VIEW,
    C.MEASURES_VIEW,
    C.SITES_VIEW,
    C.REPORTS_VIEW,
    C.BRIEFINGS_VIEW,
    C.DASHBOARD_VIEW,
    C.TESTING_VIEW,
    C.SAMPLES_VIEW,
    C.RECALLS_VIEW,
    C.KEY_GROUPS_VIEW,
    C.VENUES_VIEW,
    C.VENUE_SCANS_VIEW,
    C.VACCINATION_VIEW,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # The command office may do all of it in its district (it stands in for a site or a lab that cannot, audited).
    Role.DISTRICT_COMMAND: frozenset(C.values),
    Role.TOWNSHIP_OFFICE: frozenset(
        _EVERY_ROLE
        | _READ_WORK
        | {
            C.USERS_MANAGE,
            C.TEAMS_VIEW,
            C.TEAMS_MANAGE,
            C.PERSONS_CHANGE,
            C.REVEAL,
            C.LEADS_ASSIGN,
            C.LEADS_VERIFY,
            C.MEASURES_CHANGE,
            C.MEASURES_RELEASE,
            C.REPORTS_FILE,
            C.POINTS_MANAGE,
            C.TUBES_REGISTER,
            C.KEY_GROUPS_MANAGE,
            C.NEGATIVE_LOOKUP,
            C.AUDIT_VIEW,
            C.JOBS_VIEW,
            C.EXPORT,
            C.DISPLAYS_MANAGE,
            C.VENUES_MANAGE,
            C.CASES_VIEW,  # the township follows its cases and their contacts; the district investigates
            C.DOSES_RECORD,  # its health centre is the vaccination site
            C.MOBILISE,
            C.VACCINATION_TARGETS,  # its own headcount (专项摸底) and its part of the district's targets
        }
    ),
    # The grid team works door to door in its community: its people, their leads, measures and checks.
    Role.GRID_MEMBER: frozenset(
        _EVERY_ROLE
        | {
            C.TEAMS_VIEW,
            C.PERSONS_VIEW,
            C.PERSONS_CHANGE,
            C.REVEAL,
            C.LEADS_VIEW,
            C.LEADS_VERIFY,
            C.MEASURES_VIEW,
            C.MEASURES_CHANGE,
            C.REPORTS_VIEW,
            C.REPORTS_FILE,
            C.DASHBOARD_VIEW,
            C.TESTING_VIEW,
            C.SAMPLES_VIEW,
            C.RECALLS_VIEW,
            C.KEY_GROUPS_VIEW,
            C.NEGATIVE_LOOKUP,
            C.VENUES_VIEW,
            C.VENUES_MANAGE,  # the community registers the venues that stand in it
            C.VENUE_SCANS_VIEW,
            C.VACCINATION_VIEW,
            C.MOBILISE,  # 逐人动员: the team goes door to door and records why someone is not vaccinated
        }
    ),
    # A site's staff see their own site (its rooms, its residents and their measures), not the registry.
    Role.SITE_STAFF: frozenset(
        _EVERY_ROLE
        | {
            C.SITES_VIEW,
            C.SITES_OPERATE,
            C.MEASURES_VIEW,
            C.MEASURES_CHANGE,
            C.MEASURES_RELEASE,
            C.NEGATIVE_LOOKUP,
        }
    ),
    # A sampling point or lab sees tubes: the points, their tubes and the people it registers into them.
    Role.SAMPLING_LAB: frozenset(
        _EVERY_ROLE | {C.TESTING_VIEW, C.TUBES_REGISTER, C.RESULTS_REPORT, C.SAMPLES_VIEW, C.NEGATIVE_LOOKUP}
    ),
    # A venue's staff run its door (电子卡口) and see its own register: their venue, no one else's scans.
    Role.VENUE_STAFF: frozenset(_EVERY_ROLE | {C.VENUES_VIEW, C.VENUE_SCANS_VIEW, C.DOOR_CHECK, C.SCANS_INGEST}),
    Role.INSPECTOR: frozenset(_EVERY_ROLE | _READ_WORK | {C.TEAMS_VIEW, C.EXPORT, C.JOBS_VIEW}),
    # Masked lists only: no reveal, no export, no audit trail (a change record shows the values it changed).
    # The 48-hour lookup answers yes or no and names nobody: a query desk's question.
    Role.CLERK: frozenset(_EVERY_ROLE | _READ_WORK | {C.NEGATIVE_LOOKUP}),
}

# A working group's domain: what its members may do over the whole district (their role's capabilities meet
# these; core.scoping.grant_reach). Every group sees the unit tree and its notifications; none follows the
# district's background jobs (its members see their own), and only coordination sees the dashboard (the whole
# situation, not one domain's part of it).
GROUP_DOMAIN_CAPABILITIES: dict[str, frozenset[str]] = {
    domain: frozenset(_EVERY_ROLE | held)
    for domain, held in {
        # The figures, the daily reports and the briefing: not the registry (its members see no one by name).
        GroupDomain.COORDINATION: {
            C.REPORTS_VIEW,
            C.REPORT_FORMS_MANAGE,
            C.BRIEFINGS_VIEW,
            C.BRIEFINGS_WRITE,
            C.DASHBOARD_VIEW,
            C.DISPLAYS_MANAGE,
            C.EXPORT,
        },
        GroupDomain.TRACING: {
            C.PERSONS_VIEW,
            C.REVEAL,
            C.LEADS_VIEW,
            C.LEADS_IMPORT,
            C.LEADS_ASSIGN,
            C.RISK_AREAS_MANAGE,
            C.MEASURES_VIEW,
            C.SAMPLES_VIEW,
            C.RECALLS_VIEW,
            C.NEGATIVE_LOOKUP,
            C.VENUES_VIEW,
            C.VENUE_SCANS_VIEW,
            C.SCANS_INGEST,
            C.COVISIT_TRACE,
            C.CASES_VIEW,
            C.CASES_INVESTIGATE,
            C.EXPORT,
        },
        GroupDomain.TESTING: {
            C.TESTING_VIEW,
            C.CAMPAIGNS_MANAGE,
            C.POINTS_MANAGE,
            C.SAMPLES_VIEW,
            C.RECALLS_VIEW,
            C.KEY_GROUPS_VIEW,
            C.KEY_GROUPS_MANAGE,
            C.NEGATIVE_LOOKUP,
            C.EXPORT,
        },
        GroupDomain.ISOLATION: {
            C.PERSONS_VIEW,
            C.MEASURES_VIEW,
            C.MEASURES_CHANGE,
            C.MEASURES_RELEASE,
            C.SITES_VIEW,
            C.SITES_MANAGE,
            C.EXPORT,
        },
        GroupDomain.MEDICAL: {
            C.MEASURES_VIEW,
            C.SITES_VIEW,
            C.RECALLS_VIEW,
            C.CASES_VIEW,
            C.PERSONS_VIEW,
            C.VACCINATION_VIEW,
            C.DOSES_RECORD,
            C.VACCINATION_TARGETS,
            C.EXPORT,
        },
        GroupDomain.SUPPLIES: {C.SITES_VIEW},
        GroupDomain.PUBLICITY: {C.BRIEFINGS_VIEW},
        GroupDomain.SUPERVISION: _READ_WORK | {C.TEAMS_VIEW, C.EXPORT},
    }.items()
}

# A working group's member may do at most what any group may; its own group's domain narrows that.
ROLE_CAPABILITIES[Role.TASK_FORCE] = frozenset().union(*GROUP_DOMAIN_CAPABILITIES.values())
# A department's staff watch their sector (the key groups and, as they land, the places that name it).
ROLE_CAPABILITIES[Role.DEPARTMENT_STAFF] = frozenset(
    _EVERY_ROLE | {C.KEY_GROUPS_VIEW, C.VENUES_VIEW, C.VENUE_SCANS_VIEW, C.EXPORT}
)


def domain_capabilities(domain: str) -> frozenset[str]:
    return GROUP_DOMAIN_CAPABILITIES.get(domain, frozenset())


# The roles whose grants see only the rows that name the user (a site's staff: their own site).
MEMBER_ROLES = frozenset({Role.SITE_STAFF, Role.VENUE_STAFF})


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def required_for(model, wanted: str) -> frozenset[str] | None:
    """The capabilities a grant must carry for `wanted` on `model`: a capability asks for itself, a verb for
    what the model declares (export: seeing it, and exporting). None: nobody may (denied by default)."""
    if wanted in Capability.values:
        return frozenset({wanted})
    declared = getattr(model, "capabilities", None) or {}
    if wanted == "export":
        view = declared.get("view")
        return frozenset({view, C.EXPORT}) if view else None
    needed = declared.get(wanted)
    return frozenset({needed}) if needed else None


def roles_with(needed: frozenset[str]) -> frozenset[str]:
    return frozenset(role for role, held in ROLE_CAPABILITIES.items() if needed <= held)


def label(capability: str) -> str:
    try:
        return str(Capability(capability).label)
    except ValueError:
        return capability


# How long a mistaken check-out, release or hand-over may still be taken back (actions.undo): long enough to
# notice it the next morning, short enough that nothing has been built on it since.
UNDO_WINDOW_HOURS = 24
