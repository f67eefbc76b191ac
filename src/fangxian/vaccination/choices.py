from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    INACTIVATED = "inactivated", _("灭活疫苗")
    ADENOVIRUS_VECTOR = "adenovirus_vector", _("腺病毒载体疫苗")
    RECOMBINANT_PROTEIN = "recombinant_protein", _("重组蛋白疫苗")
    MRNA = "mrna", _("mRNA 疫苗")
    OTHER = "other", _("其他")


class DoseKind(models.TextChoices):
    """Which dose a record is. The series doses (first to third) count towards the full series of the first
    dose's product; the boosters come after it."""

    FIRST = "first", _("第1剂")
    SECOND = "second", _("第2剂")
    THIRD = "third", _("第3剂（三剂次基础免疫）")
    BOOSTER = "booster", _("加强针（同源）")
    HETEROLOGOUS_BOOSTER = "heterologous_booster", _("序贯加强")
    SECOND_BOOSTER = "second_booster", _("第二剂次加强")


SERIES_KINDS = (DoseKind.FIRST, DoseKind.SECOND, DoseKind.THIRD)
BOOSTER_KINDS = (DoseKind.BOOSTER, DoseKind.HETEROLOGOUS_BOOSTER, DoseKind.SECOND_BOOSTER)
# The place of each series dose in the series (first = 1 …): a second dose needs a first before it.
SERIES_ORDER: dict[str, int] = {DoseKind.FIRST: 1, DoseKind.SECOND: 2, DoseKind.THIRD: 3}


class DoseSource(models.TextChoices):
    ENTERED = "entered", _("录入")
    IMPORTED = "imported", _("免疫规划系统导入")
    API = "api", _("接口上报")


class Progress(models.TextChoices):
    """Where a person stands at a reference date, derived from their doses (never entered)."""

    NONE = "none", _("未接种")
    STARTED = "started", _("已接种未全程")
    FULL = "full", _("已全程接种")
    BOOSTED = "boosted", _("已加强")


PROGRESS_COLOURS = {
    Progress.NONE: "orange",
    Progress.STARTED: "yellow",
    Progress.FULL: "green",
    Progress.BOOSTED: "teal",
}


class Standing(models.TextChoices):
    """Why a person is, or is not, someone to vaccinate: recorded by the grid team or the vaccination site."""

    ELIGIBLE = "eligible", _("可接种")
    CONTRAINDICATED = "contraindicated", _("永久禁忌")
    DEFERRED = "deferred", _("暂缓接种")
    REFUSED = "refused", _("拒绝接种")
    ELSEWHERE = "elsewhere", _("人户分离")
    MOVED = "moved", _("已迁出")
    DECEASED = "deceased", _("已死亡")


# Standings that take a person out of the people to vaccinate (the eligible denominator and the roster). A
# deferral does so only until its review date.
EXCLUDED = (Standing.CONTRAINDICATED, Standing.REFUSED, Standing.ELSEWHERE, Standing.MOVED, Standing.DECEASED)
UNREACHABLE = (Standing.ELSEWHERE, Standing.MOVED, Standing.DECEASED)


class Channel(models.TextChoices):
    VISIT = "visit", _("入户")
    PHONE = "phone", _("电话")
    MESSAGE = "message", _("微信/短信")
    GATHERING = "gathering", _("集中宣传")


class Outcome(models.TextChoices):
    """What a mobilisation contact came to. Every outcome but booked and no answer is a reason that takes the person
    off the roster (booked stays on it until the dose arrives)."""

    BOOKED = "booked", _("已预约")
    NO_ANSWER = "no_answer", _("未联系上")
    REFUSED = "refused", _("拒绝")
    DEFERRED = "deferred", _("暂缓")
    CONTRAINDICATED = "contraindicated", _("禁忌")
    ELSEWHERE = "elsewhere", _("人户分离")
    MOVED = "moved", _("已迁出")
    DECEASED = "deceased", _("已死亡")


# The standing an outcome records (the rest leave the standing as it is).
OUTCOME_STANDING: dict[str, str] = {
    Outcome.REFUSED: Standing.REFUSED,
    Outcome.DEFERRED: Standing.DEFERRED,
    Outcome.CONTRAINDICATED: Standing.CONTRAINDICATED,
    Outcome.ELSEWHERE: Standing.ELSEWHERE,
    Outcome.MOVED: Standing.MOVED,
    Outcome.DECEASED: Standing.DECEASED,
}


class PopulationSource(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    RESIDENT = "resident", _("常住人口")
    HEADCOUNT = "headcount", _("专项摸底")


class Milestone(models.TextChoices):
    """What a target counts: people with at least one dose, with the full series, or boosted."""

    STARTED = "started", _("至少1剂")
    FULL = "full", _("全程接种")
    BOOSTED = "boosted", _("加强免疫")


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("已核对，待导入")
    COMMITTED = "committed", _("已导入")
