from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    RUNNING = "running", _("进行中")
    CLOSED = "closed", _("已结束")


class SamplingMode(models.TextChoices):
    SINGLE = "single", _("单采")
    HOUSEHOLD = "household", _("一户一管")
    POOL_5 = "pool_5", _("5 混 1")
    POOL_10 = "pool_10", _("10 混 1")
    POOL_20 = "pool_20", _("20 混 1")


# Members a tube of each mode may hold (a household tube: a household, at most 10 people).
POOL_SIZE: dict[str, int] = {
    SamplingMode.SINGLE: 1,
    SamplingMode.HOUSEHOLD: 10,
    SamplingMode.POOL_5: 5,
    SamplingMode.POOL_10: 10,
    SamplingMode.POOL_20: 20,
}


class TubeStatus(models.TextChoices):
    OPEN = "open", _("采样中")
    CLOSED = "closed", _("待送检")
    SHIPPED = "shipped", _("已送检")
    DONE = "done", _("已完成")


class TubeResult(models.TextChoices):
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    INVALID = "invalid", _("无效（需重采）")


# A pool with either result holds every member until a single-tube re-test says otherwise.
RECALLING_RESULTS = (TubeResult.POSITIVE, TubeResult.INVALID)


class SubmissionOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("已采用")
    REPEATED = "repeated", _("重复报送（结果一致）")
    CONFLICT = "conflict", _("结果冲突（以首次为准）")
    UNKNOWN_TUBE = "unknown_tube", _("管码未登记")


class RecallStatus(models.TextChoices):
    HELD = "held", _("就地管控，待单采复核")
    RELEASED = "released", _("复核阴性，已解除")
    POSITIVE = "positive", _("复核阳性，转病例处置")
