"""Columns of the core lists, shared by the pages' tables and their xlsx exports."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from fangxian.core.exports import Column
from fangxian.core.masking import mask_numbers_in_text, mask_phone


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def team_columns() -> list[Column]:
    from fangxian.core.services import team_is_complete

    def members(team) -> str:
        return "；".join(f"{m.slot.duty}：{m.name} {mask_phone(m.phone)}".strip() for m in team.members.all())

    def member_badges(team):
        return format_html_join(
            "", '<span class="badge bg-blue-lt me-1">{}·{}</span>', ((m.slot.duty, m.name) for m in team.members.all())
        )

    def complete(team):
        if team_is_complete(team):
            return format_html('<span class="badge bg-green-lt">{}</span>', _("齐全"))
        return format_html('<span class="badge bg-red-lt">{}</span>', _("缺员"))

    return [
        Column("小组", lambda team: team.name, 20, cell=_link("core:team_detail", "pk", "name"), heading=True),
        Column("单位", lambda team: team.unit.label, 18),
        Column("单位代码", lambda team: team.unit.code, 16, page=False),
        Column("模板", lambda team: team.template.name, 12),
        Column("成员（电话已脱敏）", members, 60, cell=member_badges),
        Column("状态", lambda team: "齐全" if team_is_complete(team) else "缺员", 8, cell=complete),
    ]


def user_columns() -> list[Column]:
    def grants(user):
        return format_html_join(
            "",
            '<span class="badge bg-azure-lt me-1">{}@{}</span>',
            ((g.get_role_display(), g.unit.name) for g in user.grants.all()),
        )

    def state(user) -> str:
        return _("停用") if not user.is_active else (_("锁定") if user.is_locked else _("正常"))

    def state_badge(user):
        colour = "secondary" if not user.is_active else ("red" if user.is_locked else "green")
        return format_html('<span class="badge bg-{}-lt">{}</span>', colour, state(user))

    return [
        Column(
            "用户名", lambda user: user.username, 16, cell=_link("core:user_detail", "pk", "username"), heading=True
        ),
        Column("姓名", lambda user: user.display_name, 14),
        Column("所属单位", lambda user: user.unit.label if user.unit_id else "", 18),
        Column(
            "授权",
            lambda user: "；".join(f"{g.unit.name}·{g.get_role_display()}" for g in user.grants.all()),
            40,
            cell=grants,
        ),
        Column("状态", state, 8, cell=state_badge),
        Column("最近登录", lambda user: _when(user.last_login), 20, page=False),
    ]


def change_columns() -> list[Column]:
    names: dict = {}  # the related objects a page of records names, each read once

    def changes(record):
        return format_html_join(
            "",
            "<div>{}：{}{}</div>",
            (
                (
                    label,
                    format_html('<span class="text-secondary">{}</span> → ', before) if before is not None else "",
                    "—" if after is None else after,
                )
                for label, before, after in record.changes_for_display(names)
            ),
        )

    def changes_text(record) -> str:
        return "；".join(
            f"{label}：{'' if before is None else f'{before} → '}{'—' if after is None else after}"
            for label, before, after in record.changes_for_display(names)
        )

    def obj(record):
        return format_html(
            '{}<div class="small text-secondary">{} · <a href="?object={}">{}</a></div>',
            mask_numbers_in_text(record.object_repr),
            record.model_label,
            record.object_id,
            _("该对象全部记录"),
        )

    def source(record) -> str:
        if record.job_id:
            return f"{_('任务')} {str(record.job_id)[:12]}"
        return f"{_('请求')} {record.request_id[:12]}" if record.request_id else _("命令行")

    return [
        Column("时间", lambda record: _when(record.at), 20, css="text-nowrap"),
        Column("操作人", lambda record: str(record.actor), 16),
        Column("操作", lambda record: record.get_kind_display(), 8, css="text-nowrap"),
        Column("对象类型", lambda record: record.model_label, 16, page=False),
        Column("对象", lambda record: mask_numbers_in_text(record.object_repr), 24, cell=obj),
        Column("单位", lambda record: record.unit.label, 16),
        Column("修改内容", changes_text, 40, cell=changes, css="small"),
        Column("原因", lambda record: record.reason, 30),
        Column("来源", source, 16, css="small text-secondary", export=False),
    ]


def access_columns() -> list[Column]:
    def detail(record) -> str:
        return " ".join(f"{key}={value}" for key, value in record.detail_for_display().items())

    return [
        Column("时间", lambda record: _when(record.at), 20, css="text-nowrap"),
        Column("访问人", lambda record: str(record.actor), 16),
        Column("方式", lambda record: record.get_kind_display(), 10),
        Column("对象类型", lambda record: record.model_label, 16, page=False),
        Column("对象", lambda record: mask_numbers_in_text(record.object_repr or record.model_label), 24),
        Column("单位", lambda record: record.unit.label, 16),
        Column("详情", detail, 40, css="small text-secondary", testid="access-detail"),
    ]


def unit_columns() -> list[Column]:
    return [
        Column("代码", lambda unit: unit.code, 16),
        Column("名称", lambda unit: unit.name, 20),
        Column("层级", lambda unit: unit.get_level_display(), 10),
        Column("上级代码", lambda unit: unit.parent.code if unit.parent_id else "", 16),
        Column("上级", lambda unit: unit.parent.name if unit.parent_id else "", 20),
    ]


def coverage_columns() -> list[Column]:
    return [
        Column("村/社区", lambda row: row["unit"].name, 20),
        Column("代码", lambda row: row["unit"].code, 16),
        Column("镇/街道", lambda row: row["unit"].parent.name if row["unit"].parent_id else "", 16),
        Column("小组", lambda row: row.get("teams", ""), 8),
        Column("完整小组", lambda row: row["complete"], 8),
    ]


def job_columns() -> list[Column]:
    return [
        Column("任务", lambda job: job.title, 40, cell=_link("core:job_detail", "uuid", "title"), heading=True),
        Column("单位", lambda job: job.unit.name, 16, page=False),
        Column("发起人", lambda job: str(job.created_by), 14),
        Column("状态", lambda job: job.get_status_display(), 8),
        Column("创建时间", lambda job: _when(job.created_at), 20, css="text-nowrap"),
        Column("完成时间", lambda job: _when(job.finished_at), 20, css="text-nowrap"),
    ]


def _link(route: str, key: str, text: str):
    """A cell linking the row's `text` attribute to its detail page (`route` takes the row's `key`)."""
    return lambda row: format_html(
        '<a href="{}">{}</a>', reverse(route, kwargs={key: getattr(row, key)}), getattr(row, text)
    )


def notification_columns() -> list[Column]:
    return [
        Column("时间", lambda item: _when(item.created_at), 20),
        Column("单位", lambda item: item.unit.name, 16),
        Column("标题", lambda item: item.title, 40),
        Column("内容", lambda item: item.body, 60),
        Column("已读", lambda item: "是" if item.read_at else "否", 6),
    ]


def row_error_columns() -> list[Column]:
    """An import's problems (core.tabular.RowError), numbers in the values and messages masked."""
    return [
        Column("行", lambda e: e.row, 6),
        Column("列", lambda e: e.column, 14),
        Column("值", lambda e: mask_numbers_in_text(str(e.value)), 24),
        Column("问题", lambda e: mask_numbers_in_text(e.message), 60),
    ]
