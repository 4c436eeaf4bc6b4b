"""Where an object or a value came from: file, document index, line.

A leaf module: every layer may import it (see tests/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass

STDIN = "<stdin>"


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """The place in the input an object was read from.

    `line` is 1-based and points at the first line of the document (or of the item, for an
    object taken out of a `kind: List`); `doc` is the 0-based index of the document in its file;
    `item` is the index inside a `kind: List`, else None.
    """

    file: str
    line: int = 0
    doc: int = 0
    item: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    # immutable: a copy is the object itself. pydantic deep-copies a PrivateAttr default for
    # every model it builds (Ingress._origin = GENERATED), which cost ~1 s at 10,000 Ingresses.
    def __copy__(self) -> "Origin":
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> "Origin":
        return self

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"file": self.file, "line": self.line, "doc": self.doc}
        if self.item is not None:
            d["item"] = self.item
        return d


#: Origin of objects that ing2gw built itself (defaults, synthesised objects).
GENERATED = Origin(file="<generated>")
