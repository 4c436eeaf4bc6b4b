"""Read Kubernetes manifests from files, directories and stdin, keeping each object's origin.

Parsing uses ruamel.yaml's C-backed (libyaml) event parser and a small composer written for
Kubernetes manifests: plain scalars are resolved the way Kubernetes' YAML reader does (YAML 1.1
booleans, ints, floats, null; keys are always strings; timestamps stay strings). This is ~3×
faster than ruamel's own safe constructor, whose per-scalar resolver dominates large inputs.
Round-trip (comment-preserving) loading lives in `batch`, where files are edited in place.

One bad document never hides the others: after a syntax error, parsing resumes at the next
`---` marker, and every problem is collected into one `InputError`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

from ing2gw.errors import InputError, Problem
from ing2gw.origin import STDIN, Origin

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

try:  # the C parser ships in ruamel.yaml.clib
    from _ruamel_yaml import CParser as _CParser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - exercised only where the C extension is missing
    _CParser = None


class Manifest:
    """One Kubernetes object as read: the plain JSON-like mapping and where it came from."""

    __slots__ = ("obj", "origin")

    def __init__(self, obj: dict[str, Any], origin: Origin) -> None:
        self.obj = obj
        self.origin = origin

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion") or "")

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def group(self) -> str:
        """API group of the object ('' for the core group)."""
        av = self.api_version
        return av.rpartition("/")[0] if "/" in av else ""

    @property
    def name(self) -> str:
        md = self.obj.get("metadata")
        return str(md.get("name") or "") if isinstance(md, dict) else ""

    @property
    def namespace(self) -> str:
        md = self.obj.get("metadata")
        return str(md.get("namespace") or "") if isinstance(md, dict) else ""

    def __repr__(self) -> str:
        return f"Manifest({self.kind} {self.namespace}/{self.name} @ {self.origin})"


@dataclass
class LoadResult:
    """Objects read, and every problem met on the way."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Scalar resolution: YAML 1.2 core schema booleans (true/false only), as ruamel and most
# tools do. go-yaml (kubectl) also reads yes/no/on/off/y/n as booleans; reading them as
# strings is the tolerant choice, and the writer quotes them so no reader is surprised.

_TRUE = frozenset("true True TRUE".split())
_FALSE = frozenset("false False FALSE".split())
YAML11_BOOLS = frozenset("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())
_NULL = frozenset(["", "~", "null", "Null", "NULL"])
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_HEX = re.compile(r"[-+]?0x[0-9a-fA-F_]+\Z")
_OCT = re.compile(r"[-+]?0o?[0-7_]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"),
                  ".Inf": float("inf"), "+.Inf": float("inf"), "-.Inf": float("-inf"),
                  ".INF": float("inf"), ".nan": float("nan"), ".NaN": float("nan"),
                  ".NAN": float("nan")}
_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")


def _resolve_plain(v: str) -> Any:
    if not v:
        return None
    if v[0] not in _MAYBE_TYPED:
        return v
    if v in _NULL:
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if _INT.match(v):
        return int(v.replace("_", ""))
    if _HEX.match(v):
        return int(v.replace("_", ""), 16)
    if _OCT.match(v) and len(v.lstrip("+-")) > 1:
        s = v.replace("_", "").replace("0o", "0")
        return int(s, 8)
    if _FLOAT.match(v) and any(c.isdigit() for c in v):
        return float(v.replace("_", ""))
    if v in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[v]
    return v


_TAG = "tag:yaml.org,2002:"


def _resolve_tagged(v: str, tag: str) -> Any:
    if tag in (_TAG + "str", "!", _TAG + "binary", _TAG + "timestamp"):
        return v
    if tag == _TAG + "int":
        return int(v.replace("_", ""), 0)
    if tag == _TAG + "float":
        return float(v)
    if tag == _TAG + "bool":
        return v in _TRUE
    if tag == _TAG + "null":
        return None
    return _resolve_plain(v)  # unknown application tag: Kubernetes ignores it too


# ---------------------------------------------------------------------------------------------
# Composer over parser events.


class _DocError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


#: nesting depth (mappings and lists) a document may have. Kubernetes objects nest a few dozen
#: levels at most (a CRD's schema); the limit keeps every recursive walk of the value (the
#: composer itself, pydantic, the writers) far from Python's recursion limit
MAX_DEPTH = 128
#: alias uses (`*name`) a document may have
MAX_ALIASES = 10_000
#: what alias expansion may add to a document, in nodes plus characters of string values, beyond
#: the size of the text itself: an alias is a reference, but everything that walks the value
#: (validation, comparison, writing) pays for its expanded size, so nine nested levels of nine
#: aliases (a few hundred bytes) would cost minutes of CPU and gigabytes (the "billion laughs")
MIN_ALIAS_BUDGET = 1_000_000


class _Composer:
    """Builds plain Python values from a libyaml event stream, one document at a time.

    Aliases return the anchored value itself (no copy); their expanded size is bounded per
    document (`MAX_ALIASES`, `MIN_ALIAS_BUDGET` or the text's length, whichever is larger), and
    so is the nesting depth (`MAX_DEPTH`): hostile input is refused with its line, in time and
    memory proportional to its text.
    """

    def __init__(self, events: Iterator[Any], text_size: int = 0) -> None:
        self._next = events.__next__
        self.anchors: dict[str, Any] = {}
        self.depth = 0
        self.alias_budget = max(MIN_ALIAS_BUDGET, text_size)
        self.new_document()

    def new_document(self) -> None:
        """Forget the anchors and the alias counts of the previous document."""
        self.anchors = {}
        self.depth = 0
        self.aliases = 0
        self.alias_weight = 0
        self._weights: dict[int, int] = {}

    def _weight(self, value: Any) -> int:
        """Expanded size of a composed value: one per node plus the characters of its strings
        (memoised per object, so shared sub-values are walked once)."""
        if isinstance(value, str):
            return 1 + len(value)
        if not isinstance(value, (dict, list)):
            return 1
        memo = self._weights
        w = memo.get(id(value))
        if w is not None:
            return w
        total = 1
        # iterative over this level; sub-containers recurse at most MAX_DEPTH deep
        for item in (value.items() if isinstance(value, dict) else value):
            if isinstance(item, tuple):
                total += 1 + len(item[0]) + self._weight(item[1])
            else:
                total += self._weight(item)
        memo[id(value)] = total
        return total

    def _alias(self, ev: Any) -> Any:
        line = ev.start_mark.line + 1
        if ev.anchor not in self.anchors:
            raise _DocError(line, f"found undefined alias *{ev.anchor}")
        value = self.anchors[ev.anchor]
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _DocError(line, f"more than {MAX_ALIASES:,} YAML aliases (*name) in one document; ing2gw refuses "
                                  "it (an alias bomb?): expand the aliases, or split the document")
        self.alias_weight += self._weight(value)
        if self.alias_weight > self.alias_budget:
            raise _DocError(line, f"YAML aliases (*{ev.anchor} and others) expand this document beyond "
                                  f"{self.alias_budget:,} nodes and characters; ing2gw refuses it (an alias bomb?): "
                                  "expand the aliases, or split the document")
        return value

    def _deeper(self, ev: Any) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _DocError(ev.start_mark.line + 1, f"nested more than {MAX_DEPTH} levels deep; no Kubernetes "
                                                    "object nests this deep, so ing2gw refuses it")

    def node(self, ev: Any) -> Any:
        name = type(ev).__name__
        if name == "ScalarEvent":
            tag = ev.tag
            if tag is None or tag == "!":
                value = _resolve_plain(ev.value) if (ev.style in ("", None) and tag is None) else ev.value
            else:
                try:
                    value = _resolve_tagged(ev.value, tag)
                except ValueError:
                    raise _DocError(ev.start_mark.line + 1, f"invalid value {ev.value!r} for tag {tag}") from None
        elif name == "MappingStartEvent":
            value = {}
            self._deeper(ev)
            self._mapping(value, ev)
            self.depth -= 1
        elif name == "SequenceStartEvent":
            value = []
            self._deeper(ev)
            nxt = self._next
            e = nxt()
            while type(e).__name__ != "SequenceEndEvent":
                value.append(self.node(e))
                e = nxt()
            self.depth -= 1
        elif name == "AliasEvent":
            return self._alias(ev)
        else:  # pragma: no cover - libyaml guarantees node events here
            raise _DocError(ev.start_mark.line + 1, f"unexpected YAML event {name}")
        if ev.anchor:
            self.anchors[ev.anchor] = value
        return value

    def _mapping(self, out: dict[str, Any], start: Any) -> None:
        nxt = self._next
        merges: list[Any] = []
        e = nxt()
        while type(e).__name__ != "MappingEndEvent":
            line = e.start_mark.line + 1
            if type(e).__name__ == "ScalarEvent":
                key = e.value
                if e.style in ("", None) and e.tag is None and key == "<<":
                    merges.append((line, self.node(nxt())))
                    e = nxt()
                    continue
                if e.anchor:
                    self.anchors[e.anchor] = key
            else:
                k = self.node(e)
                if isinstance(k, (dict, list)):
                    raise _DocError(line, "a mapping key must be a plain value, not a mapping or list")
                key = "null" if k is None else (str(k).lower() if isinstance(k, bool) else str(k))
            if key in out:
                raise _DocError(line, f"duplicate key {key!r} in the same mapping")
            out[key] = self.node(nxt())
            e = nxt()
        for line, m in merges:
            for src in (m if isinstance(m, list) else [m]):
                if not isinstance(src, dict):
                    raise _DocError(line, "'<<' merge key needs a mapping or a list of mappings")
                for k, v in src.items():
                    out.setdefault(k, v)


def _events(text: str) -> Iterator[Any]:
    if _CParser is not None:
        parser = _CParser(text)
        get, check = parser.get_event, parser.check_event
        while check():
            yield get()
    else:  # pragma: no cover
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)


_DOC_MARKER = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)


def parse_documents(text: str, filename: str) -> tuple[list[tuple[int, int, Any]], list[Problem]]:
    """Parse a YAML stream into (document index, first line, value) triples, and problems.

    Empty documents are skipped. After a syntax error, parsing resumes at the next `---` line so
    later documents are still read and checked.
    """
    docs: list[tuple[int, int, Any]] = []
    problems: list[Problem] = []
    offset_chars, offset_lines, doc_index = 0, 0, 0
    while True:
        chunk = text[offset_chars:] if offset_chars else text
        composer = _Composer(_events(chunk), len(chunk))
        failed_at: int | None = None
        try:
            nxt = composer._next
            ev = nxt()  # StreamStart
            while True:
                ev = nxt()
                if type(ev).__name__ == "StreamEndEvent":
                    break
                # DocumentStartEvent
                composer.new_document()
                body = nxt()
                start_line = body.start_mark.line + 1 + offset_lines
                try:
                    value = composer.node(body)
                except _DocError as de:
                    problems.append(Problem(filename, de.line + offset_lines, de.message))
                    failed_at = de.line - 1
                    doc_index += 1
                    break
                nxt()  # DocumentEndEvent
                if value is not None:
                    docs.append((doc_index, start_line, value))
                doc_index += 1
        except Exception as exc:  # libyaml's scanner/parser errors
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = (mark.line if mark is not None else 0)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            context = getattr(exc, "context", None)
            cmark = getattr(exc, "context_mark", None)
            if context and cmark is not None and cmark.line != line:
                context += f" started at line {cmark.line + 1 + offset_lines}"
            msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
            problems.append(Problem(filename, line + 1 + offset_lines, msg))
            failed_at = line
            doc_index += 1
        if failed_at is None:
            break
        # resume at the first document marker after the failing line
        line_starts = _line_start_offsets(chunk)
        search_from = max(1, line_starts[min(failed_at, len(line_starts) - 1)])
        m = _DOC_MARKER.search(chunk, search_from)
        if m is None:
            break
        offset_lines += chunk.count("\n", 0, m.start())
        offset_chars += m.start()
    return docs, problems


def _line_start_offsets(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def decode(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM), or UTF-16/32 with a BOM; else an InputError naming the line."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return data.decode("utf-32")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(filename, line,
                                  f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                  "save the file as UTF-8")]) from None


def _is_list_kind(obj: dict[str, Any]) -> bool:
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)


def manifests_from_text(text: str, filename: str) -> LoadResult:
    """Parse one file's text into manifests; `kind: List` (and `*List`) are expanded."""
    result = LoadResult()
    if filename.endswith(".json") and text.lstrip().startswith(("{", "[")):
        docs, problems = _parse_json(text, filename)
    else:
        docs, problems = parse_documents(text, filename)
    result.problems.extend(problems)
    for doc_index, line, value in docs:
        _add_object(result, value, Origin(filename, line, doc_index), filename)
    return result


def _parse_json(text: str, filename: str) -> tuple[list[tuple[int, int, Any]], list[Problem]]:
    # JSON is YAML; the YAML path gives lines for List items. Fall back to json for JSON that
    # libyaml rejects (tab indentation).
    docs, problems = parse_documents(text, filename)
    if not problems or not all(p.message.startswith("invalid YAML") for p in problems):
        return docs, problems  # a limit (depth, aliases) is not a reason to try another parser
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem(filename, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")]
    except RecursionError:
        return [], [Problem(filename, 1, f"nested more than {MAX_DEPTH} levels deep; no Kubernetes object nests "
                                         "this deep, so ing2gw refuses it")]
    if _depth_exceeds(value, MAX_DEPTH):
        return [], [Problem(filename, 1, f"nested more than {MAX_DEPTH} levels deep; no Kubernetes object nests "
                                         "this deep, so ing2gw refuses it")]
    return [(0, 1, value)], []


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers in `value` nest deeper than `limit` (iterative: safe on any depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Iterable[Any] = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _add_object(result: LoadResult, value: Any, origin: Origin, filename: str) -> None:
    if isinstance(value, list):
        # a bare top-level sequence of objects (kubectl accepts JSON arrays)
        for i, item in enumerate(value):
            _add_object(result, item, Origin(filename, origin.line, origin.doc, i), filename)
        return
    if not isinstance(value, dict):
        what = type(value).__name__ if not isinstance(value, str) else f"the text {value[:40]!r}"
        result.problems.append(Problem(filename, origin.line,
                                       f"document {origin.doc + 1} is {what}, not a Kubernetes object "
                                       "(a mapping with apiVersion and kind)"))
        return
    missing = [k for k in ("apiVersion", "kind") if not value.get(k)]
    if missing:
        result.problems.append(Problem(filename, origin.line,
                                       f"document {origin.doc + 1} has no {' or '.join(missing)}: "
                                       "not a Kubernetes object"))
        return
    if _is_list_kind(value):
        for i, item in enumerate(value["items"]):
            item_origin = Origin(filename, origin.line, origin.doc, i)
            if not isinstance(item, dict):
                result.problems.append(Problem(filename, origin.line,
                                               f"item {i} of {value['kind']} is not an object"))
                continue
            _add_object(result, item, item_origin, filename)
        return
    result.manifests.append(Manifest(value, origin))


def read_file(path: str) -> LoadResult:
    """Read one manifest file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return LoadResult(problems=[Problem(path, 0, f"cannot read: {exc.strerror or exc}")])
    try:
        text = decode(data, path)
    except InputError as exc:
        return LoadResult(problems=exc.problems)
    return manifests_from_text(text, path)


#: files `convert --out-dir` writes next to the manifests that are not Kubernetes objects (the
#: report and the equivalence result); skipped in folders holding ing2gw's output marker
#: (`ing2gw.outdir.MARKER`), so that `verify --gateway OUT -R` reads the output back
OUTPUT_MARKER = ".ing2gw-output"
OUTPUT_NON_MANIFESTS = frozenset({"report.json", "verify.json"})


def _ing2gw_non_manifest(folder: Path, name: str) -> bool:
    return name in OUTPUT_NON_MANIFESTS and (folder / OUTPUT_MARKER).is_file()


def discover(path: str, recursive: bool) -> list[str]:
    """Manifest files under a directory, sorted; hidden entries and ing2gw's own reports are skipped."""
    found: list[str] = []
    root = Path(path)
    if recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                if f.endswith(MANIFEST_SUFFIXES) and not f.startswith(".") \
                        and not _ing2gw_non_manifest(Path(dirpath), f):
                    found.append(os.path.join(dirpath, f))
    else:
        for entry in sorted(root.iterdir()):
            if entry.is_file() and entry.name.endswith(MANIFEST_SUFFIXES) and not entry.name.startswith(".") \
                    and not _ing2gw_non_manifest(root, entry.name):
                found.append(str(entry))
    return found


def load(
    sources: Sequence[str],
    *,
    recursive: bool = False,
    stdin: IO[bytes] | IO[str] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[Manifest]:
    """Load every object from `sources` (files, directories, or '-' for stdin).

    Raises InputError listing every problem (bad YAML, non-objects, unreadable files, no
    objects at all). `on_file` is called with each file name before it is read (progress).
    """
    result = LoadResult()
    for src in sources:
        for part in _load_source(src, recursive, stdin, on_file):
            result.manifests.extend(part.manifests)
            result.problems.extend(part.problems)
    if result.problems:
        raise InputError(result.problems)
    if not result.manifests:
        names = ", ".join("stdin" if s == "-" else s for s in sources) or "(nothing)"
        raise InputError([Problem(names, 0, "no Kubernetes objects found; pass manifest files, "
                                            "a directory (-R to descend) or '-' for stdin")])
    return result.manifests


def _load_source(src: str, recursive: bool, stdin: IO[bytes] | IO[str] | None,
                 on_file: Callable[[str], None] | None) -> Iterable[LoadResult]:
    if src == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read()
        text = raw if isinstance(raw, str) else None
        if text is None:
            try:
                text = decode(raw, STDIN)  # type: ignore[arg-type]
            except InputError as exc:
                yield LoadResult(problems=exc.problems)
                return
        _TEXTS[STDIN] = text
        yield manifests_from_text(text, STDIN)
        return
    p = Path(src)
    if p.is_dir():
        files = discover(src, recursive)
        if not files:
            hint = "" if recursive else " (use -R to read sub-directories)"
            yield LoadResult(problems=[Problem(src, 0, f"no .yaml, .yml or .json files in this directory{hint}")])
            return
        for f in files:
            if on_file:
                on_file(f)
            yield read_file(f)
        return
    if not p.exists():
        yield LoadResult(problems=[Problem(src, 0, "no such file or directory")])
        return
    if on_file:
        on_file(src)
    yield read_file(src)


_TEXTS: dict[str, str] = {}  # text of non-file sources (stdin, strings), for field_line()


def field_line(origin: Origin, path: Sequence[str | int]) -> int:
    """1-based line of the deepest existing node on `path` inside the object at `origin`.

    Used only when reporting an error, so it re-reads and re-parses the file: nothing is kept
    in memory for the fast path. Returns 0 when the file cannot be read again.
    """
    text = _TEXTS.get(origin.file)
    if text is None:
        try:
            text = decode(Path(origin.file).read_bytes(), origin.file)
        except (OSError, InputError):
            return 0
    prefix: list[str | int] = []
    if origin.item is not None:
        prefix = ["items", origin.item]
    want = [*prefix, *path]
    try:
        events = _events(text)
        doc = -1
        for ev in events:
            name = type(ev).__name__
            if name == "DocumentStartEvent":
                doc += 1
                if doc == origin.doc:
                    best = [0]
                    _walk_line(events, next(events), want, 0, best)
                    return best[0]
        if origin.item is not None and origin.doc == 0:
            return 0
    except Exception:
        return 0
    return 0


def _walk_line(events: Iterator[Any], ev: Any, want: Sequence[str | int], depth: int, best: list[int]) -> None:
    """Consume the node starting at `ev`; record the line of the deepest node matching `want`."""
    if not best[0]:
        best[0] = ev.start_mark.line + 1
    name = type(ev).__name__
    if name == "MappingStartEvent":
        e = next(events)
        while type(e).__name__ != "MappingEndEvent":
            key = e.value if type(e).__name__ == "ScalarEvent" else None
            if type(e).__name__ != "ScalarEvent":
                _skip(events, e)
            v = next(events)
            if depth < len(want) and key == want[depth]:
                best[0] = e.start_mark.line + 1
                _walk_line(events, v, want, depth + 1, best)
            else:
                _skip(events, v)
            e = next(events)
    elif name == "SequenceStartEvent":
        i = 0
        e = next(events)
        while type(e).__name__ != "SequenceEndEvent":
            if depth < len(want) and want[depth] == i:
                best[0] = e.start_mark.line + 1
                _walk_line(events, e, want, depth + 1, best)
            else:
                _skip(events, e)
            i += 1
            e = next(events)


def _skip(events: Iterator[Any], ev: Any) -> None:
    name = type(ev).__name__
    if name in ("MappingStartEvent", "SequenceStartEvent"):
        depth = 1
        while depth:
            n = type(next(events)).__name__
            if n in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
            elif n in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1


def load_text(text: str, filename: str = STDIN) -> list[Manifest]:
    """Load objects from a string (tests, KRM input). Raises InputError on any problem."""
    _TEXTS[filename] = text
    result = manifests_from_text(text, filename)
    if result.problems:
        raise InputError(result.problems)
    return result.manifests
