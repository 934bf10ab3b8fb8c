"""Read an uploaded CSV into rows with line numbers, collecting every problem at once.

Django-free: the population import here and the operators' count imports of later modules
use it, and the same sentences reach the admin page and the command line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass
class CSVProblems:
    """Every problem found in a file, each starting with its line number."""

    messages: list[str] = field(default_factory=list)

    def add(self, line: int | None, message: str) -> None:
        self.messages.append(message if line is None else f"line {line}: {message}")

    def __bool__(self) -> bool:
        return bool(self.messages)


def decode(data: bytes) -> str:
    """Spreadsheets export UTF-8 with a byte-order mark, or the Chinese GB18030 encoding."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is not text in UTF-8 or GB18030; save it as CSV (UTF-8)")


def read_rows(
    text: str, required: Sequence[str], optional: Sequence[str] = (), problems: CSVProblems | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each non-blank record, with cells stripped; the number is
    the file line the record starts on, also when a quoted cell runs over several lines.

    Header problems (missing or unknown columns, empty file) are added to `problems` and end
    the reading, since no row can be understood without its header.
    """
    problems = problems if problems is not None else CSVProblems()
    # newline="": the csv module splits the lines itself, so a file with bare "\r" line ends
    # (older spreadsheets) is read as lines; before, it raised csv.Error, a server error.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        problems.add(1, f"cannot be read as CSV: {error}")
        return
    if header is None or not any(cell.strip() for cell in header):
        problems.add(None, f"the file is empty: expected a header line {','.join(required)}")
        return
    names = [cell.strip().lower() for cell in header]
    missing = [name for name in required if name not in names]
    unknown = [name for name in names if name not in required and name not in optional]
    if missing:
        problems.add(1, f"missing column(s) {', '.join(missing)}; the header must be {','.join(required)}")
    if unknown:
        problems.add(1, f"unknown column(s) {', '.join(unknown)}")
    if len(set(names)) != len(names):
        problems.add(1, "a column name appears twice")
    if problems:
        return
    seen_data = False
    # A quoted cell may span lines (a note typed with Enter in a spreadsheet): counting records
    # would put every later line number off. `line_num` is the source line a record ends on, so
    # each record starts on the line after the previous one ended.
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # a cell over the csv module's size limit, for one
            problems.add(previous_end + 1, f"cannot be read as CSV: {error}")
            return
        line_no, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        seen_data = True
        if len(cells) != len(names):
            problems.add(line_no, f"expected {len(names)} values, found {len(cells)}")
            continue
        yield line_no, {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
    if not seen_data:
        problems.add(None, "the file has a header but no data lines")


def parse_count(value: str, column: str, line: int, problems: CSVProblems) -> int | None:
    """A whole number of people, 0 or more; `None` (and a problem) when it is not one."""
    cleaned = value.replace(",", "").replace("_", "") if value else value
    try:
        number = int(cleaned)
    except (TypeError, ValueError):
        problems.add(line, f"{column} must be a whole number, got {value!r}")
        return None
    if number < 0:
        problems.add(line, f"{column} must not be negative, got {number}")
        return None
    return number
