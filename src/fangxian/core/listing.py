"""What a list is built from: the user, the filters, the URL's arguments and the unit picked in the navigation.

A list view reads only these (never its request) to build its rows, so the same rows come out of the page, its
immediate export and the background export the worker writes hours later with no request at all.
"""

from dataclasses import dataclass, field

from django.http import QueryDict

FOCUS_SESSION_KEY = "focus_unit"
# Query parameters that are about the answer, not the rows.
NOT_FILTERS = {"export", "page"}


@dataclass(frozen=True)
class ListArgs:
    user: object
    params: QueryDict = field(default_factory=QueryDict)
    url_kwargs: dict = field(default_factory=dict)
    focus: str = ""  # the code of the unit picked in the navigation bar

    @classmethod
    def of_request(cls, request, url_kwargs: dict) -> "ListArgs":
        session = getattr(request, "session", None) or {}
        return cls(
            user=request.user,
            params=request.GET,
            url_kwargs=dict(url_kwargs),
            focus=session.get(FOCUS_SESSION_KEY, "") or "",
        )

    def filters(self) -> QueryDict:
        """The query string without what only shapes the answer (the page, the export switch)."""
        query = self.params.copy()
        for name in NOT_FILTERS:
            query.pop(name, None)
        return query

    def to_job(self) -> dict:
        """The arguments a background export is rebuilt from (JSON: a job's arguments are stored)."""
        return {
            "query": self.filters().urlencode(),
            "url_kwargs": {key: str(value) for key, value in self.url_kwargs.items()},
            "focus": self.focus,
        }

    @classmethod
    def from_job(cls, user, arguments: dict) -> "ListArgs":
        return cls(
            user=user,
            params=QueryDict(arguments.get("query", "")),
            url_kwargs=dict(arguments.get("url_kwargs") or {}),
            focus=arguments.get("focus", "") or "",
        )


class Table:
    """A list page's table, from the list's column spec (core.exports.Column): the very columns its export
    writes, less those marked off the page. Rendered by _table.html: a table on a desktop, a card per row on
    a phone (each cell labelled with its column)."""

    def __init__(self, columns, rows, *, empty: str = "", testid: str = "", row_testid: str = ""):
        self.columns = [column for column in columns if column.page]
        self.rows, self.empty, self.testid, self.row_testid = rows, empty, testid, row_testid

    def __iter__(self):
        for row in self.rows:
            yield [(column, _page_cell(column, row)) for column in self.columns]


def _page_cell(column, row):
    if column.cell is not None:
        return column.cell(row)
    value = column.value(row)
    return "" if value is None else value
