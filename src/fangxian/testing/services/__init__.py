"""Nucleic-acid testing, by sub-domain: registration (tubes, members, shipping), results, recall of positive
pools, lookups (the 48-hour check, key-group schedules), campaigns and key groups. Callers import from here;
services never commit: callers own atomic()."""

from fangxian.testing.services.campaigns import (
    ZoneProgress,
    campaign_progress,
    create_campaign,
    create_point,
    expected_people,
    not_sampled,
    progress_by_hour,
    progress_by_point,
    update_zone,
    zone_of,
)
from fangxian.testing.services.keygroups import add_key_group_members, create_key_group
from fangxian.testing.services.lookups import LatestTest, key_group_overdue, latest_negative
from fangxian.testing.services.recall import raise_recall_leads, recall
from fangxian.testing.services.registration import (
    CLOCK_SLACK,
    MODE_OF_SIZE,
    OLDEST_SAMPLE,
    TUBE_CODE,
    NewTube,
    Registration,
    TubeProblem,
    close_tube,
    register_tubes,
    ship,
)
from fangxian.testing.services.results import (
    RESULT_COLUMNS,
    RESULT_WORDS,
    RESULTS_REASON,
    Ingest,
    ResultProblem,
    ingest_results,
    result_frame,
)

__all__ = [
    "RESULTS_REASON",
    "CLOCK_SLACK",
    "MODE_OF_SIZE",
    "OLDEST_SAMPLE",
    "RESULT_COLUMNS",
    "RESULT_WORDS",
    "TUBE_CODE",
    "Ingest",
    "LatestTest",
    "NewTube",
    "Registration",
    "ResultProblem",
    "TubeProblem",
    "ZoneProgress",
    "add_key_group_members",
    "campaign_progress",
    "close_tube",
    "create_campaign",
    "create_key_group",
    "create_point",
    "expected_people",
    "ingest_results",
    "key_group_overdue",
    "latest_negative",
    "not_sampled",
    "progress_by_hour",
    "progress_by_point",
    "raise_recall_leads",
    "recall",
    "register_tubes",
    "result_frame",
    "ship",
    "update_zone",
    "zone_of",
]
