"""The national protocol editions, as data (see DOMAIN.md, "Control measures and protocols").

Each rule: anchor date, phases [(kind, days, test days within the phase, checks a day)], and whether release needs
双采双检. A subject an edition does not name has no rule: placing such a person under it is refused with a reason.
Values the source table leaves open are marked where they are filled in.
"""

CENTRALISED, HOME_ISOLATION = "centralised", "home_isolation"
HOME_MONITORING, COMMUNITY_MONITORING = "home_monitoring", "community_monitoring"


def phase(kind: str, days: int, tests: list[int]) -> dict:
    isolation = kind in {CENTRALISED, HOME_ISOLATION}
    return {"kind": kind, "days": days, "tests": tests, "checks_per_day": 2 if isolation else 1}


EDITIONS = [
    {
        "code": "ed9",
        "name": "第九版防控方案（2022年6月）",
        "issued_on": "2022-06-27",
        "floor_restart": False,
        "lookback_days": 4,
        "rules": {
            "close_contact": (
                "last_exposure",
                [phase(CENTRALISED, 7, [1, 2, 3, 5, 7]), phase(HOME_MONITORING, 3, [3])],
            ),
            "secondary_contact": ("last_exposure", [phase(HOME_ISOLATION, 7, [1, 4, 7])]),
            "inbound": ("arrival", [phase(CENTRALISED, 7, [1, 2, 3, 5, 7]), phase(HOME_MONITORING, 3, [3])]),
            "high_risk_area": ("left_area", [phase(CENTRALISED, 7, [1, 2, 3, 5, 7])]),
            "medium_risk_area": ("left_area", [phase(HOME_ISOLATION, 7, [1, 4, 7])]),
            # 三天两检: two tests 24 hours apart within three days.
            "low_risk_area": ("placement", [phase(COMMUNITY_MONITORING, 3, [1, 2])]),
        },
    },
    {
        "code": "ed8",
        "name": "第八版防控方案（2021年5月）",
        "issued_on": "2021-05-11",
        "floor_restart": True,
        "lookback_days": 2,
        "double_sample": True,
        "rules": {
            "close_contact": ("last_exposure", [phase(CENTRALISED, 14, [1, 4, 7, 14]), phase(HOME_MONITORING, 7, [])]),
            # The source gives 7 days centralised and no test days: a first-day and a release test.
            "secondary_contact": ("last_exposure", [phase(CENTRALISED, 7, [1, 7])]),
            "inbound": ("arrival", [phase(CENTRALISED, 14, [1, 4, 7, 14]), phase(HOME_MONITORING, 7, [])]),
        },
    },
    {
        "code": "measures20",
        "name": "二十条优化措施（2022年11月）",
        "issued_on": "2022-11-11",
        "floor_restart": False,
        "lookback_days": 2,
        "rules": {
            "close_contact": (
                "last_exposure",
                [phase(CENTRALISED, 5, [1, 2, 3, 5]), phase(HOME_MONITORING, 3, [1, 3])],
            ),
            "inbound": ("arrival", [phase(CENTRALISED, 5, [1, 2, 3, 5]), phase(HOME_MONITORING, 3, [1, 3])]),
            "high_risk_area": ("left_area", [phase(HOME_ISOLATION, 7, [1, 3, 5, 7])]),
        },
    },
]


def install(protocol_model, rule_model) -> None:
    """Create or update the shipped editions (idempotent: a data migration and the tests both use it)."""
    for edition in EDITIONS:
        protocol, _ = protocol_model.objects.update_or_create(
            code=edition["code"],
            defaults={
                "name": edition["name"],
                "issued_on": edition["issued_on"],
                "floor_restart": edition["floor_restart"],
                "lookback_days": edition["lookback_days"],
            },
        )
        for subject, (anchor, phases) in edition["rules"].items():
            rule_model.objects.update_or_create(
                protocol=protocol,
                subject=subject,
                defaults={"anchor": anchor, "phases": phases, "double_sample": edition.get("double_sample", False)},
            )
