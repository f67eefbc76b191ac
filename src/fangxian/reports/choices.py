from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldKind(models.TextChoices):
    INTEGER = "integer", _("整数")
    TEXT = "text", _("文字")
    CHOICE = "choice", _("选项")


class Filing(models.TextChoices):
    """Where a unit stands with one day's report (日报、零报告制度)."""

    ON_TIME = "on_time", _("按时报送")
    LATE = "late", _("迟报")
    MISSING = "missing", _("未报")
    DUE = "due", _("待报送")  # not filed yet, and the due time has not passed


FILING_COLOURS: dict[str, str] = {
    Filing.ON_TIME: "green",
    Filing.LATE: "orange",
    Filing.MISSING: "red",
    Filing.DUE: "secondary",
}

# Minutes before the due time at which units that have not filed are reminded.
REMINDER_MINUTES = 60


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


# The parts of a briefing a person writes (the rest is figures and tables); defaults are drafted from the data.
BRIEFING_TEXTS = {
    "overall": _("总体情况"),
    "problems": _("发现的问题"),
    "next_steps": _("下一步工作"),
}
