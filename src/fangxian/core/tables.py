"""Columns of the core list pages, shared by the pages' xlsx exports."""

from django.utils import timezone

from fangxian.core.exports import Column
from fangxian.core.masking import mask_numbers_in_text, mask_phone


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def team_columns() -> list[Column]:
    def members(team) -> str:
        return "；".join(f"{m.slot.duty}：{m.name} {mask_phone(m.phone)}".strip() for m in team.members.all())

    return [
        Column("小组", lambda team: team.name, 20),
        Column("单位", lambda team: team.unit.name, 16),
        Column("单位代码", lambda team: team.unit.code, 16),
        Column("模板", lambda team: team.template.name, 12),
        Column("成员（电话已脱敏）", members, 60),
    ]


def user_columns() -> list[Column]:
    return [
        Column("用户名", lambda user: user.username, 16),
        Column("姓名", lambda user: user.display_name, 14),
        Column("授权", lambda user: "；".join(f"{g.unit.name}·{g.get_role_display()}" for g in user.grants.all()), 40),
        Column("状态", lambda user: "启用" if user.is_active else "停用", 8),
        Column("最近登录", lambda user: _when(user.last_login), 20),
    ]


def change_columns() -> list[Column]:
    return [
        Column("时间", lambda record: _when(record.at), 20),
        Column("操作人", lambda record: str(record.actor), 16),
        Column("操作", lambda record: record.get_kind_display(), 8),
        Column("对象类型", lambda record: record.model, 16),
        Column("对象", lambda record: mask_numbers_in_text(record.object_repr), 24),
        Column("单位", lambda record: record.unit.name, 16),
        Column("修改的字段", lambda record: "、".join(record.changed_field_labels()), 30),
        Column("原因", lambda record: record.reason, 30),
    ]


def access_columns() -> list[Column]:
    return [
        Column("时间", lambda record: _when(record.at), 20),
        Column("访问人", lambda record: str(record.actor), 16),
        Column("方式", lambda record: record.get_kind_display(), 10),
        Column("对象类型", lambda record: record.model, 16),
        Column("对象", lambda record: mask_numbers_in_text(record.object_repr), 24),
        Column("单位", lambda record: record.unit.name, 16),
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
        Column("任务", lambda job: job.title, 40),
        Column("单位", lambda job: job.unit.name, 16),
        Column("发起人", lambda job: str(job.created_by), 14),
        Column("状态", lambda job: job.get_status_display(), 8),
        Column("创建时间", lambda job: _when(job.created_at), 20),
        Column("完成时间", lambda job: _when(job.finished_at), 20),
    ]


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
