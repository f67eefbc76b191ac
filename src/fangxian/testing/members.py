"""Checking the members of many tubes at once, as columns (polars): their documents by people.frames, their
names here."""

import datetime
from dataclasses import dataclass

import polars as pl

from fangxian.people.choices import DocumentType
from fangxian.people.frames import check_documents

MEMBER_COLUMNS = {
    "tube_code": pl.String,
    "doc_type": pl.String,
    "doc_number": pl.String,
    "name": pl.String,
    "phone": pl.String,
}


@dataclass(frozen=True)
class MemberProblem:
    tube_code: str
    doc_number: str
    message: str


def frame(rows: list[dict] | None = None) -> pl.DataFrame:
    """Members as a frame with the expected columns (missing text columns are empty)."""
    data = pl.DataFrame(rows or [], schema_overrides=None) if rows else pl.DataFrame(schema=MEMBER_COLUMNS)
    for column, dtype in MEMBER_COLUMNS.items():
        if column not in data.columns:
            data = data.with_columns(pl.lit("" if column != "doc_type" else DocumentType.RESIDENT_ID).alias(column))
        data = data.with_columns(pl.col(column).cast(dtype).fill_null(""))
    return data.select(list(MEMBER_COLUMNS))


def check(members: pl.DataFrame, *, today: datetime.date) -> tuple[pl.DataFrame, list[MemberProblem]]:
    """The members with normalised documents, and the problems of those that are not valid (left out)."""
    members = members.with_columns(
        pl.col("doc_number").str.strip_chars().str.to_uppercase(),
        pl.col("name").str.strip_chars(),
        pl.col("phone").str.strip_chars(),
    ).with_row_index("_row")
    good, invalid = check_documents(members, today=today)
    by_row = dict(invalid)
    problems = [
        MemberProblem(row["tube_code"], row["doc_number"], by_row[row["_row"]])
        for row in members.filter(pl.col("_row").is_in(list(by_row))).iter_rows(named=True)
    ]
    unnamed = good.filter((pl.col("name") == "") | (pl.col("name").str.len_chars() > 50))
    for row in unnamed.iter_rows(named=True):
        problems.append(MemberProblem(row["tube_code"], row["doc_number"], "姓名为空或超过 50 字"))
    good = good.filter((pl.col("name") != "") & (pl.col("name").str.len_chars() <= 50))
    good = good.with_columns(pl.col("phone").str.slice(0, 20))
    return good.sort("_row").drop("_row"), problems
