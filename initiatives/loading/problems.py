"""What goes wrong in a file being loaded, and what a load did.

A Problem is one thing wrong with a file, located as a spreadsheet shows it (the
header is row 1) so that the person fixing the file can find it. A load that finds
any problem writes nothing and raises a Refused listing them all. A Tally counts
the records a load created, updated and left unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

# How many problems a refusal's message lists; the rest are counted.
MAX_REPORTED_PROBLEMS = 50
# A problem's message and column as shown: a message may quote a cell, and a cell (or
# a header) may be megabytes long. The middle goes, so the quoted value's start and
# the explanation after it stay.
MAX_MESSAGE_CHARS = 500
MAX_COLUMN_CHARS = 100


def shorten(text: str, limit: int) -> str:
    """`text`, or its start and end around an ellipsis when it is over `limit` characters."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return f"{text[: limit - tail - 1]}\u2026{text[-tail:]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (spreadsheet row, column) and what.

    `file` names the file when a load reads several (the seed files); an upload is
    one file, and its problems leave it out.
    """

    row: int | None
    column: str | None
    message: str
    file: str | None = None

    def brief(self) -> Problem:
        """The problem with its message and column shortened for showing."""
        column = None if self.column is None else shorten(self.column, MAX_COLUMN_CHARS)
        return Problem(self.row, column, shorten(self.message, MAX_MESSAGE_CHARS), self.file)

    def __str__(self) -> str:
        if self.file is None:
            where = [] if self.row is None else [f"Row {self.row}"]
            if self.column:
                where.append(self.column)
            return f"{', '.join(where)}: {self.message}" if where else self.message
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class Refused(Exception):
    """Nothing was written; `problems` lists every reason found.

    The message lists the first problems, one a line.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.describe(problems))

    @staticmethod
    def describe(problems: list[Problem]) -> str:
        lines = [str(problem.brief()) for problem in problems[:MAX_REPORTED_PROBLEMS]]
        if len(problems) > MAX_REPORTED_PROBLEMS:
            lines.append(f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problems.")
        return "\n".join(lines)


class SeedError(Refused):
    """The seed files cannot be loaded; `problems` says where and why."""


class ImportRefused(Refused):
    """The file was not imported; `problems` lists every reason found."""

    @staticmethod
    def describe(problems: list[Problem]) -> str:
        # The import's callers show `problems` themselves; the message only counts them.
        return f"{len(problems)} problem(s)"


@dataclass
class Tally:
    """How many records a load created, updated and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, *, created: bool, changed: bool) -> None:
        """Count one record."""
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
