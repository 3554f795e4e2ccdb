"""Where an input object came from (a frozen record, aimc/records.py): every record of the inputs carries one, so every
later error can point at the file and line of the field at fault."""

from __future__ import annotations

from aimc.load.yaml_positions import line_of
from aimc.records import Record, compared_on


class Origin(Record):
    """Where an input object came from; `line_of` finds the line of any of its fields."""

    file: str
    source: str
    line: int
    data: dict | None = None  # the document (a PosDict: the lines of its fields); equality ignores it

    __eq__, __ne__, __hash__ = compared_on("file", "source", "line")

    def line_of(self, *path: str | int) -> int:
        if self.data is None:
            return self.line
        return line_of(self.data, path, self.line)


BUILTIN = Origin("<built-in>", "<built-in>", 0)  # objects shipped with aimc (e.g. benchmark scenarios)
