"""In-app notifications, passed on to an outside channel (SMS, enterprise WeChat) by a pluggable notifier.

FANGXIAN_NOTIFIER names a class with `send(notification)`; the default only logs, so a deployment without a
gateway loses nothing: the message is in the app either way."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from fangxian.core.models import Notification, Unit

logger = logging.getLogger(__name__)


class LogNotifier:
    def send(self, notification: Notification) -> None:
        logger.info("notification to %s: %s", notification.unit.code, notification.title)


def notifier():
    return import_string(settings.FANGXIAN_NOTIFIER)()


def notify(*, unit: Unit, key: str, title: str, body: str = "", url: str = "") -> Notification | None:
    """Store the message once per key; pass it on to the outside channel only once the caller's transaction
    commits (an alert for work that was rolled back — a killed ingest, a refused batch — is never sent, and a
    retry that commits sends it once). None when it was already stored."""
    notification, created = Notification.objects.get_or_create(
        key=key[:200], defaults={"unit": unit, "title": title[:200], "body": body[:1000], "url": url[:300]}
    )
    if not created:
        return None
    transaction.on_commit(lambda: _send(notification))
    return notification


def _send(notification: Notification) -> None:
    try:
        notifier().send(notification)
    except Exception:  # an outside gateway being down must not lose the in-app message
        logger.exception("notifier failed for %s", notification.key)


def for_user(user):
    """Unread notifications addressed to the units the user holds a grant in (not every unit below them)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    units = user.grants.values("unit_id")
    return Notification.objects.filter(unit_id__in=units, read_at__isnull=True)
