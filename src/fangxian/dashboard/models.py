import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Display(models.Model):
    """A big screen's link (大屏投放链接): the dashboard of one unit, aggregate figures only, for a fixed time.

    The screen in the command hall refreshes all night: on a signed-in session that would keep a login alive for
    ever. The link carries no user; only its digest is stored, so the link is shown once, when it is made."""

    label = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, verbose_name=_("开设人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("开设时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    revoked_at = models.DateTimeField(_("收回时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近打开"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.DISPLAYS_MANAGE, "change": C.DISPLAYS_MANAGE}
    AUDIT_FIELDS = ["label", "unit_id", "expires_at", "revoked_at"]

    class Meta:
        verbose_name = _("大屏投放链接")
        verbose_name_plural = _("大屏投放链接")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
