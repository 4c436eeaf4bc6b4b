"""Values from the input, made safe inside the Markdown ing2gw writes (report.md, MIGRATION.md).

Names, file names, annotation values and messages come from the manifests and may hold anything:
`<script>`, `[a link](javascript:...)`, pipes that end a table cell, backticks that end a code
span. The HTML report escapes every value; the Markdown writers do the same with these functions:

* `text`: one line; every character that starts inline Markdown in CommonMark or GitHub's tables
  escaped (a backslash; `&`, `<` and `>` as entities), so it renders as written.
* `code`: an inline code span whose backtick fence is longer than any backtick run inside
  (CommonMark 6.1), padded when the value starts or ends with a backtick; pipes escaped for tables.
* `anchor`: an HTML id / fragment: lower-case letters, digits and `-` only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

#: ASCII punctuation that starts or ends inline Markdown (escapes, code, emphasis, links and images,
#: table cells, strikethrough); `&`, `<` and `>` become entities instead. The values never start a
#: line, so block syntax (`#`, `-`, `1.`) cannot begin with them.
_MARKUP = re.compile(r"([\\`*_\[\]|~])")
_BACKTICKS = re.compile(r"`+")
_NOT_ANCHOR = re.compile(r"[^a-z0-9-]+")


def _one_line(v: Any) -> str:
    return " ".join(str("" if v is None else v).split())


def text(v: Any) -> str:
    """A value as literal Markdown text on one line (table cells, headings, list items)."""
    s = _one_line(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\1", s)


def code(v: Any) -> str:
    """A value as an inline code span that no backtick inside can close (empty: nothing)."""
    s = _one_line(v).replace("|", "\\|")
    if not s:
        return ""
    longest = max((len(m) for m in _BACKTICKS.findall(s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ")) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def anchor(*parts: Any) -> str:
    """An id for `<a id>` and `(#...)` links built from names: only [a-z0-9-]; when that changed
    the name, a short hash keeps two names apart (`web.v1` and `web-v1`)."""
    raw = "-".join(str(p) for p in parts)
    slug = _NOT_ANCHOR.sub("-", raw.lower()).strip("-") or "x"
    return slug if slug == raw else f"{slug}-{hashlib.sha256(raw.encode()).hexdigest()[:6]}"
