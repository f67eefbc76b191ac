"""The venues' rules: the registry and its codes, scans and their ingestion, the door, the daily registers and
co-visit tracing. Services never commit: callers own atomic()."""

from fangxian.venues.services.covisit import CoVisitor, Tracing, covisit_leads, trace, trace_for
from fangxian.venues.services.door import DoorCheck, door_check
from fangxian.venues.services.registers import Register, abnormal_code_leads, day_register, set_policy
from fangxian.venues.services.registry import VENUE_LEVELS, regenerate_code, register_venue
from fangxian.venues.services.scans import BatchTooLarge, ScanOutcome, ingest_scans

__all__ = [
    "VENUE_LEVELS",
    "BatchTooLarge",
    "CoVisitor",
    "ScanOutcome",
    "Tracing",
    "DoorCheck",
    "Register",
    "abnormal_code_leads",
    "covisit_leads",
    "day_register",
    "door_check",
    "ingest_scans",
    "trace_for",
    "regenerate_code",
    "register_venue",
    "set_policy",
    "trace",
]
