"""Scheduled sweeps, run by the worker every minute (and once by `fangxian worker --batch`)."""

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

SWEEPS: list[Callable[[], int]] = []


def sweep(function: Callable[[], int]) -> Callable[[], int]:
    """Register a sweep: a function that does its pass and returns how many things it changed."""
    SWEEPS.append(function)
    return function


def run_all() -> dict[str, int]:
    results = {}
    for function in SWEEPS:
        with transaction.atomic():
            results[function.__name__] = function()
        if results[function.__name__]:
            logger.info("sweep %s: %s", function.__name__, results[function.__name__])
    return results
