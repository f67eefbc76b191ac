"""The command dashboard (指挥大屏): its figures come from reports.situation (the briefing reports the same
ones); here are the big screens' links."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangxian.core.audit import record_change
from fangxian.core.audit import snapshot as audit_snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import Unit
from fangxian.core.scoping import require, require_row
from fangxian.dashboard.models import Display, key_digest
from fangxian.reports.situation import TREND_DAYS, person_counts, snapshot  # noqa: F401  (the dashboard's figures)

# ---------------------------------------------------------------- big-screen links

DISPLAY_MAX_HOURS = 7 * 24


def open_display(*, actor, unit: Unit, label: str, hours: int) -> tuple[Display, str]:
    """A new link for a big screen showing `unit`'s dashboard for `hours`; returns it with its key (shown once:
    only the key's digest is kept)."""
    require(actor, Capability.DISPLAYS_MANAGE, unit)
    if not 1 <= hours <= DISPLAY_MAX_HOURS:
        raise ValidationError(f"有效时长为 1 至 {DISPLAY_MAX_HOURS} 小时")
    key = secrets.token_urlsafe(32)
    display = Display.objects.create(
        label=(label.strip() or unit.name)[:100],
        unit=unit,
        digest=key_digest(key),
        created_by=actor,
        expires_at=timezone.now() + datetime.timedelta(hours=hours),
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=display,
        unit=unit,
        after=audit_snapshot(display, Display.AUDIT_FIELDS),
    )
    return display, key


def close_display(*, actor, display: Display) -> None:
    with transaction.atomic():
        locked = Display.objects.select_for_update().get(pk=display.pk)
        require_row(actor, Capability.DISPLAYS_MANAGE, locked)
        if locked.revoked_at is not None:
            return
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE,
            instance=locked,
            unit=locked.unit,
            before={"revoked_at": None},
            after={"revoked_at": locked.revoked_at.isoformat()},
            reason="收回投放链接",
        )


def live_display(key: str) -> Display | None:
    """The display a link opens, while it is live; marks when it was last opened (at most once a minute)."""

    now = timezone.now()
    display = Display.objects.select_related("unit", "created_by").filter(digest=key_digest(key[:100])).first()
    # A link lives no longer than its maker's account: stopping the account takes its links back.
    if display is None or not display.is_live(now) or not display.created_by.is_active:
        return None
    if display.last_seen_at is None or now - display.last_seen_at > datetime.timedelta(minutes=1):
        Display.objects.filter(pk=display.pk).update(last_seen_at=now)
    return display
