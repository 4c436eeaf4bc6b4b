"""Byte-exact editing of YAML streams: split on document markers, drop or rewrite only the
documents that change, keep every other byte (comments, blank lines, quoting, CRLF, header
comments before the first `---`).

A full round-trip through ruamel.yaml normalises many things (ecosystem.md §3.3: comments
before the first `---` are dropped, `~` becomes empty, trailing spaces go, CRLF becomes LF...).
Splitting the text at column-0 `---` lines and joining the untouched chunks back sidesteps all
of it: `"".join(chunk texts)` is the original file.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from io import StringIO
from typing import Any, Collection

from ruamel.yaml import YAML

# A column-0 `---` followed by a blank, end of line or end of text is always a document marker
# (YAML 1.2 §9.1.3): even inside a block scalar it ends the scalar.
_MARKER = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
# a line that carries no YAML content: blank, a comment, a marker (optionally with a comment)
_EMPTY_LINE = re.compile(r"[ \t]*(?:#.*)?\r?|---(?:[ \t]+#.*)?[ \t]*\r?|\.\.\.[ \t]*(?:#.*)?\r?")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a YAML stream: an optional `---` line and the text up to the next one."""

    start: int  # offset of the first character in the text
    end: int  # offset after the last character
    first_line: int  # 1-based line number of the chunk's first line


def split_chunks(text: str) -> list[Chunk]:
    """The chunks of `text`; their texts joined give `text` back exactly."""
    starts = [m.start() for m in _MARKER.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    chunks = []
    line = 1
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunks.append(Chunk(s, e, line))
        line += text.count("\n", s, e)
    return chunks


def is_blank(text: str) -> bool:
    """True when `text` holds no YAML content: only blank lines, comments and markers."""
    return all(_EMPTY_LINE.fullmatch(ln) for ln in text.split("\n"))


def chunk_of_line(chunks: list[Chunk], line: int) -> int:
    """Index of the chunk that holds 1-based `line`."""
    return bisect.bisect_right([c.first_line for c in chunks], line) - 1


class DocumentMap:
    """Where each parsed document of a file lies, so that one can be removed or replaced alone."""

    def __init__(self, text: str, doc_lines: dict[int, int]) -> None:
        """`doc_lines`: document index -> 1-based line of its first content line."""
        self.text = text
        self.chunks = split_chunks(text)
        self.chunk_of: dict[int, int] = {d: chunk_of_line(self.chunks, ln) for d, ln in doc_lines.items()}
        per_chunk: dict[int, int] = {}
        for c in self.chunk_of.values():
            per_chunk[c] = per_chunk.get(c, 0) + 1
        # a chunk holding two documents (separated by `...` without `---`) cannot be edited alone
        self.shared = {c for c, n in per_chunk.items() if n > 1}

    def editable(self, doc: int) -> bool:
        return doc in self.chunk_of and self.chunk_of[doc] not in self.shared

    def chunk_text(self, doc: int) -> str:
        c = self.chunks[self.chunk_of[doc]]
        return self.text[c.start:c.end]

    def rewrite(self, remove: Collection[int] = (), replace: dict[int, str] | None = None) -> str:
        """The text with the chunks of documents `remove` dropped and of `replace` substituted.

        Every other chunk is copied verbatim. Removing the first document of a file keeps
        nothing of its chunk, comments included: they described the removed document.
        """
        replace = replace or {}
        drop = {self.chunk_of[d] for d in remove}
        subst = {self.chunk_of[d]: t for d, t in replace.items()}
        parts = []
        for i, c in enumerate(self.chunks):
            if i in drop:
                continue
            parts.append(subst.get(i, self.text[c.start:c.end]))
        out = "".join(parts)
        if parts and out and not out.endswith("\n") and self.text.endswith("\n"):
            out += "\n"
        return out


# -- rewriting one document (a List whose Ingress items are removed) ---------------------------------


def _marker_and_body(chunk: str) -> tuple[str, str]:
    m = _MARKER.match(chunk)
    if not m:
        return "", chunk
    nl = chunk.find("\n")
    return (chunk, "") if nl == -1 else (chunk[:nl + 1], chunk[nl + 1:])


def rt_yaml(text: str) -> YAML:
    """A ruamel round-trip YAML configured to reproduce `text`'s style (ecosystem.md §3.3)."""
    from ruamel.yaml.util import load_yaml_guess_indent

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    try:
        _, indent, bsi = load_yaml_guess_indent(text)
    except Exception:
        indent, bsi = 2, 0
    indent = indent or 2
    bsi = bsi or 0
    y.indent(mapping=2, sequence=max(indent, bsi + 2), offset=bsi)
    return y


def drop_list_items(chunk: str, items: Collection[int], json_file: bool) -> str:
    """The chunk of a `kind: List` document without the given items (round-trips this document only)."""
    marker, body = _marker_and_body(chunk)
    if json_file:
        data: Any = json.loads(body)
        data["items"] = [it for i, it in enumerate(data["items"]) if i not in items]
        indent = _json_indent(body)
        return marker + json.dumps(data, indent=indent, ensure_ascii=False) + ("\n" if body.endswith("\n") else "")
    y = rt_yaml(body)
    doc = y.load(body)
    for i in sorted(items, reverse=True):
        del doc["items"][i]
    buf = StringIO()
    y.dump(doc, buf)
    return marker + buf.getvalue()


def _json_indent(text: str) -> int:
    m = re.search(r"\n( +)\S", text)
    return len(m.group(1)) if m else 2
