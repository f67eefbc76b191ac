"""Transmission chains, clusters (聚集性疫情) and the epidemic curve, over the cases a user may see.

A link joins a case to the case that infected it (source_case), and to a case whose person it named as a contact.
A cluster is two or more cases joined by links between cases reported within 14 days of each other; its setting
is where the links say it happened: one household, one workplace or school, one venue (the same venue in both
itineraries), or a chain of transmission when nothing narrower is shared.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from fangxian.cases.choices import ContactClass, Relation
from fangxian.cases.models import Case, Contact, ItineraryEntry

CLUSTER_DAYS = 14
# Beyond this many close contacts the graph draws each case's contacts as one node (a count), not one node each.
CONTACT_NODES = 2000
_SETTINGS = {Relation.HOUSEHOLD: "家庭聚集", Relation.WORK: "工作单位/学校聚集"}


@dataclass
class Cluster:
    cases: list[Case]
    setting: str
    first: datetime.datetime
    last: datetime.datetime

    @property
    def label(self) -> str:
        return f"{self.setting}（{len(self.cases)} 例）"


@dataclass
class Chains:
    cases: list[Case]
    links: list[tuple[int, int, str]]  # (from case id, to case id, how)
    clusters: list[Cluster]
    contacts: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)  # case id → (doc, class, state)
    contact_counts: dict[int, int] = field(default_factory=dict)  # case id → how many, when too many to list


def _contact_state(lead_status: str | None, home_region: str, sent: bool) -> str:
    if home_region:
        return "outbound" if sent else "outbound_pending"
    if lead_status is None:
        return "pending"
    return "closed" if lead_status == "closed" else "open"


def chains(cases) -> Chains:
    """`cases`: a queryset of cases (already restricted to what the user may see)."""
    rows = list(cases.select_related("person").order_by("reported_at", "id"))
    by_id = {case.pk: case for case in rows}
    by_doc = {case.person.doc_number: case for case in rows}
    named = Contact.objects.filter(case_id__in=list(by_id)).exclude(classification=ContactClass.GENERAL)
    links: dict[tuple[int, int], str] = {}
    for case in rows:
        if case.source_case_id in by_id:
            links[(case.source_case_id, case.pk)] = "source"
    # Contacts who became cases: links, however many contacts there are (the cases' documents, one query).
    for case_id, doc, relation in named.filter(doc_number__in=list(by_doc)).values_list(
        "case_id", "doc_number", "relation"
    ):
        became = by_doc[doc]
        if became.pk != case_id:
            links[(case_id, became.pk)] = relation  # how they met says more than "source"
    listed: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    counts: dict[int, int] = {}
    if named.count() <= CONTACT_NODES:
        sent = set(named.filter(outbound_sent_at__isnull=False).values_list("pk", flat=True))
        rows_of_contacts = named.exclude(doc_number__in=list(by_doc)).values_list(
            "pk", "case_id", "doc_number", "classification", "lead__status", "home_region"
        )
        for pk, case_id, doc, classification, lead_status, home_region in rows_of_contacts:
            listed[case_id].append((doc, classification, _contact_state(lead_status, home_region, pk in sent)))
    else:  # too many to draw one by one: a count per case, counted by the database
        counts = dict(
            named.exclude(doc_number__in=list(by_doc))
            .values("case_id")
            .annotate(n=Count("id"))
            .values_list("case_id", "n")
        )
    venues = _shared_venues(list(by_id))
    clusters = _clusters(rows, by_id, links, venues)
    return Chains(
        cases=rows,
        links=[(a, b, how) for (a, b), how in links.items()],
        clusters=clusters,
        contacts=dict(listed),
        contact_counts=counts,
    )


def _shared_venues(case_ids: list[int]) -> dict[int, set[str]]:
    """case id → the names of the venues in its itinerary."""
    found: dict[int, set[str]] = defaultdict(set)
    for case_id, name in ItineraryEntry.objects.filter(case_id__in=case_ids, venue__isnull=False).values_list(
        "case_id", "venue__name"
    ):
        found[case_id].add(name)
    return found


def _clusters(rows, by_id, links, venues) -> list[Cluster]:
    parent = {case.pk: case.pk for case in rows}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    window = datetime.timedelta(days=CLUSTER_DAYS)
    kept = []
    for a, b in links:
        if abs(by_id[a].reported_at - by_id[b].reported_at) <= window:
            parent[root(a)] = root(b)
            kept.append((a, b))
    groups: dict[int, list[Case]] = defaultdict(list)
    for case in rows:
        groups[root(case.pk)].append(case)
    clusters = []
    for members in groups.values():
        if len(members) < 2:
            continue
        ids = {case.pk for case in members}
        hows = Counter(links[(a, b)] for a, b in kept if a in ids)
        addresses = {case.person.address for case in members if case.person.address}
        shared = set.intersection(*(venues.get(case.pk, set()) for case in members))
        if len(addresses) == 1 and len(members) == len([c for c in members if c.person.address]):
            setting = "家庭聚集"
        elif shared:
            setting = f"{sorted(shared)[0]}聚集"
        else:
            top = hows.most_common(1)[0][0] if hows else ""
            setting = _SETTINGS.get(top, "传播链")
        clusters.append(
            Cluster(
                cases=members,
                setting=setting,
                first=min(case.reported_at for case in members),
                last=max(case.reported_at for case in members),
            )
        )
    return sorted(clusters, key=lambda cluster: (-len(cluster.cases), cluster.first))


def graph(data: Chains) -> dict:
    """The chain as ECharts graph data: cases (red: 社会面, orange: 管控中; grey when closed), their close and
    secondary contacts (one node each while they are few, else one node per case with the count), links."""
    nodes, edges = [], []
    cluster_of = {case.pk: index for index, cluster in enumerate(data.clusters) for case in cluster.cases}
    for case in data.cases:
        nodes.append(
            {
                "id": f"c{case.pk}",
                "name": str(case),
                "category": 0 if case.found_in == "community" else 1,
                "symbolSize": 26,
                "value": str(case.get_status_display()),
                "cluster": cluster_of.get(case.pk),
                "url": case.get_absolute_url(),
                "closed": case.status == "closed",
            }
        )
    for a, b, how in data.links:
        edges.append({"source": f"c{a}", "target": f"c{b}", "how": how})
    states = {"open": 2, "closed": 3, "pending": 4, "outbound": 5, "outbound_pending": 5}
    for case_id, items in data.contacts.items():
        for number, (_doc, classification, state) in enumerate(items):
            node = f"k{case_id}-{number}"
            nodes.append(
                {
                    "id": node,
                    "name": "密接" if classification == ContactClass.CLOSE else "次密接",
                    "category": states[state],
                    "symbolSize": 8 if classification == ContactClass.CLOSE else 6,
                }
            )
            edges.append({"source": f"c{case_id}", "target": node})
    for case_id, count in data.contact_counts.items():
        node = f"k{case_id}"
        nodes.append({"id": node, "name": f"密接 {count} 人", "category": 2, "symbolSize": min(30, 6 + count**0.5)})
        edges.append({"source": f"c{case_id}", "target": node})
    return {"nodes": nodes, "links": edges}


def curve(cases) -> dict:
    """Cases per day by onset and by report, each split 社会面 / 管控中 (ECharts bars)."""
    by_onset: dict[datetime.date, Counter] = defaultdict(Counter)
    by_report: dict[datetime.date, Counter] = defaultdict(Counter)
    for onset, reported, found_in in cases.values_list("onset_date", "reported_at", "found_in"):
        if onset:
            by_onset[onset][found_in] += 1
        by_report[timezone.localdate(reported)][found_in] += 1
    days = sorted(set(by_onset) | set(by_report))
    if days:
        days = [days[0] + datetime.timedelta(days=n) for n in range((days[-1] - days[0]).days + 1)]
    return {
        "days": [day.strftime("%m-%d") for day in days],
        "onset_community": [by_onset[day]["community"] for day in days],
        "onset_control": [by_onset[day]["under_control"] for day in days],
        "report_community": [by_report[day]["community"] for day in days],
        "report_control": [by_report[day]["under_control"] for day in days],
    }
