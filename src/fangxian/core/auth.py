"""Password login with lockout: after LOGIN_MAX_FAILURES wrong passwords the account is locked for a while.

Each attempt claims one of the account's guesses with a conditional UPDATE before the password is checked, so a
burst of parallel logins gets no more guesses than one after the other (checking the lock and then the slow
password hash let ~11 through)."""

import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F, Q
from django.utils import timezone

from fangxian.core.models import User

PUBLISHED_DEMO_PASSWORD = "fangxian-demo"


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            # Same cost as a real check, so response time does not reveal which usernames exist.
            User().set_password(password)
            return None
        if user.is_service_account or not claim_attempt(user):
            User().set_password(password)  # a locked account answers as slowly as any other
            return None
        if settings.PRODUCTION and password == PUBLISHED_DEMO_PASSWORD:
            # A database built in demo mode and later run in production must not open with the published password.
            register_failure(user)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        register_failure(user)
        return None


def claim_attempt(user: User) -> bool:
    """Take one guess of the account's allowance, atomically; False when none is left (locked)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk, locked_until__lte=now).update(locked_until=None, failed_logins=0)
    claimed = (
        User.objects.filter(pk=user.pk, failed_logins__lt=settings.LOGIN_MAX_FAILURES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(failed_logins=F("failed_logins") + 1)
    )
    if not claimed:
        # Out of guesses but not yet locked (the last guess's request never finished): lock now, so it expires.
        until = now + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk, locked_until__isnull=True).update(locked_until=until)
    return bool(claimed)


def register_failure(user: User) -> None:
    """The claimed guess was wrong: it stays counted; the last allowed one locks the account for a while."""
    user.refresh_from_db(fields=["failed_logins"])
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        until = timezone.now() + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk, locked_until__isnull=True).update(locked_until=until)
