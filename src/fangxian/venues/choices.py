from django.db import models
from django.utils.translation import gettext_lazy as _


class VenueStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停营业")
    CLOSED = "closed", _("已关闭")
