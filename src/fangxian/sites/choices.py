from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteStatus(models.TextChoices):
    ACTIVE = "active", _("启用")
    RESERVE = "reserve", _("储备")
    CLOSED = "closed", _("关闭")


class SiteKind(models.TextChoices):
    HOTEL = "hotel", _("宾馆酒店")
    DORMITORY = "dormitory", _("宿舍/培训中心")
    MAKESHIFT = "makeshift", _("方舱/临建")


class RoomKind(models.TextChoices):
    SINGLE = "single", _("单人间")
    MULTI = "multi", _("多人间（同户）")
    ACCESSIBLE = "accessible", _("无障碍间")


class RoomStatus(models.TextChoices):
    AVAILABLE = "available", _("空闲")
    OCCUPIED = "occupied", _("入住")
    CLEANING = "cleaning", _("待消杀")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class CheckOutReason(models.TextChoices):
    RELEASED = "released", _("解除隔离")
    TRANSFERRED = "transferred", _("转点/转居家")
    HOSPITAL = "hospital", _("转运就医")
    OTHER = "other", _("其他")


# Reasons that end the person's centralised isolation: refused while the plan still has them in it today.
ENDS_ISOLATION = {CheckOutReason.RELEASED, CheckOutReason.OTHER}


# 三区两通道: the layout a site must have before it takes anyone.
ZONE_CHECKLIST = {
    "clean_zone": _("清洁区"),
    "buffer_zone": _("缓冲区"),
    "contaminated_zone": _("污染区"),
    "staff_passage": _("工作人员通道"),
    "resident_passage": _("隔离人员通道"),
}
