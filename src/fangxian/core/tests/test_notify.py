"""Notifications leave for the outside channel only after the transaction that raised them commits."""

import pytest
from django.db import transaction

from fangxian.core.models import Notification
from fangxian.core.notify import notify

SENT: list[str] = []


class Recorder:
    """Stands for an SMS or enterprise-WeChat gateway (which cannot run here): it records what it is given."""

    def send(self, notification) -> None:
        SENT.append(notification.key)


@pytest.fixture
def recorder(settings):
    settings.FANGXIAN_NOTIFIER = f"{__name__}.Recorder"
    SENT.clear()
    return SENT


class RolledBack(Exception):
    pass


def test_an_alert_of_work_that_is_rolled_back_is_never_sent(world, recorder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RolledBack), transaction.atomic():
            notify(unit=world["xc_community"], key="pool:X1", title="混管阳性")
            raise RolledBack
    assert recorder == [] and not Notification.objects.filter(key="pool:X1").exists()


def test_a_committed_alert_is_sent_once_and_a_repeat_not_at_all(world, recorder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(unit=world["xc_community"], key="pool:X2", title="混管阳性")
        assert recorder == []  # not before the commit
    assert recorder == ["pool:X2"]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(unit=world["xc_community"], key="pool:X2", title="混管阳性") is None
    assert recorder == ["pool:X2"]


def test_a_results_ingest_that_fails_after_its_alerts_sends_none(world, recorder, django_capture_on_commit_callbacks):
    """A positive pool alerts its unit; if the ingest's transaction is then lost, nobody was alerted."""
    from fangxian.testing import services as testing

    rows = testing.result_frame([{"tube_code": "XC000001", "result": "阳性"}])
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RolledBack), transaction.atomic():
            summary = testing.ingest_results(actor=world["district"], lab="区疾控", rows=rows)
            assert summary.recalled_tubes == 1
            raise RolledBack
    assert recorder == []
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            testing.ingest_results(actor=world["district"], lab="区疾控", rows=rows)
    assert recorder, "the committed ingest alerts its unit"
