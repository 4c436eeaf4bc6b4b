"""Read Kubernetes manifests from files, directories and stdin, keeping each object's origin.

Parsing uses ruamel.yaml's C-backed (libyaml) event parser and a small composer written for
Kubernetes manifests: plain scalars are resolved the way Kubernetes' YAML reader does (YAML 1.1
booleans, ints, floats, null; keys are always strings; timestamps stay strings). This is ~3×
faster than ruamel's own safe constructor, whose per-scalar resolver dominates large inputs.
Round-trip (comment-preserving) loading lives in `batch`, where files are edited in place.

One bad document never hides the others: after a syntax error, parsing resumes at the next
`---` marker, and every problem is collected into one `InputError`.

What is not a Kubernetes manifest is told apart from a broken one (`LoadResult.skipped`): a
mapping with neither apiVersion nor kind (Helm values, CI workflows, tool configuration), a list
of such things, a chart's Chart.yaml. A Helm chart met in a directory walk, and a file that is a
Go template (`{{ ... }}`), is one problem saying how to render it first, instead of the YAML
error its first `{{` gives.
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
    """Objects read, every problem met on the way, and what was skipped as not being a
    Kubernetes manifest at all (with why, for an info line; `load()` counts those as problems)."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def extend(self, other: "LoadResult") -> None:
        self.manifests.extend(other.manifests)
        self.problems.extend(other.problems)
        self.skipped.extend(other.skipped)


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


def manifests_from_text(text: str, filename: str, *, chart_template: bool = False) -> LoadResult:
    """Parse one file's text into manifests; `kind: List` (and `*List`) are expanded.

    A text with Go template actions (`{{ ... }}`) that does not parse, or any such text when
    `chart_template` (a file under a Helm chart's templates/), is one problem: render it first.
    """
    result = LoadResult()
    if filename.endswith(".json") and text.lstrip().startswith(("{", "[")):
        docs, problems = _parse_json(text, filename)
    else:
        docs, problems = parse_documents(text, filename)
    if problems or chart_template:
        template_line = _template_line(text)
        # a YAML error before the first `{{` is a YAML error, whatever comes later
        if template_line and (chart_template or min(p.line for p in problems) >= template_line):
            result.problems.append(Problem(filename, template_line, helm_template_message(text)))
            return result
    result.problems.extend(problems)
    for doc_index, line, value in docs:
        _add_object(result, value, Origin(filename, line, doc_index), filename)
    return result


# a Go template action: `{{ .Values.x }}`, `{{- include "x" . -}}`, `{{/* comment */}}`
# (no brace, no newline inside an action: every attempt stops at the next one, so a hostile line
# of `{{{{...` costs linear time, not quadratic)
_TEMPLATE_ACTION = re.compile(r"\{\{-?[ \t]*(?:[.$/(\"]|[a-z]+\b)[^\n{}]*\}\}")
_KIND_INGRESS = re.compile(r"^[ \t]*kind:[ \t]*[\"']?Ingress[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
RENDER_HINT = ("render it first: `helm template RELEASE CHART -f VALUES | ing2gw convert -f -`, or "
               "`kustomize build --enable-helm DIR | ing2gw convert -f -`")


def _template_line(text: str) -> int:
    """1-based line of the first Go template action in `text`, or 0."""
    m = _TEMPLATE_ACTION.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def helm_template_message(text: str) -> str:
    """The problem for a file that is a Helm (Go) template rather than a manifest."""
    what = "renders an Ingress, which is not converted until the chart is rendered; " \
        if _KIND_INGRESS.search(text) else ""
    return f"a Helm template ({{{{ ... }}}}), not a Kubernetes manifest: {what}{RENDER_HINT}"


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


def _looks_like_object(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("apiVersion") or value.get("kind"))


def _add_object(result: LoadResult, value: Any, origin: Origin, filename: str) -> None:
    if isinstance(value, list):
        if origin.item is None and value and not any(_looks_like_object(v) for v in value):
            # a list of something else (an Ansible playbook, a list of settings): not manifests
            result.skipped.append(Problem(filename, origin.line, f"document {origin.doc + 1} is a list of "
                                          "things without apiVersion and kind: not a Kubernetes manifest"))
            return
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
        if len(missing) == 2 and origin.item is None:
            # Helm values, a CI workflow, a tool's configuration: not meant for Kubernetes
            result.skipped.append(Problem(filename, origin.line, f"document {origin.doc + 1} has no apiVersion "
                                          "or kind: not a Kubernetes manifest"))
        elif os.path.basename(filename) == "Chart.yaml":
            result.skipped.append(Problem(filename, origin.line, "a Helm chart's Chart.yaml, not a Kubernetes "
                                          f"manifest; to convert the chart's Ingresses, {RENDER_HINT}"))
        else:  # half an object: a broken manifest, not something else
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
    return manifests_from_text(text, path, chart_template=_in_chart_templates(Path(path)))


def _in_chart_templates(path: Path) -> bool:
    """Whether `path` lies in the templates/ folder of a Helm chart (a folder with Chart.yaml)."""
    try:
        parents = path.resolve().parents
    except (OSError, RuntimeError):  # a symbolic-link loop above a readable file
        return False
    for parent in parents:
        if parent.name == "templates" and (parent.parent / "Chart.yaml").is_file():
            return True
    return False


#: files `convert --out-dir` writes next to the manifests that are not Kubernetes objects (the
#: report and the equivalence result); skipped in folders holding ing2gw's output marker
#: (`ing2gw.outdir.MARKER`), so that `verify --gateway OUT -R` reads the output back
OUTPUT_MARKER = ".ing2gw-output"
OUTPUT_NON_MANIFESTS = frozenset({"report.json", "verify.json"})


def _ing2gw_non_manifest(folder: Path, name: str) -> bool:
    return name in OUTPUT_NON_MANIFESTS and (folder / OUTPUT_MARKER).is_file()


def _manifest_file(folder: Path, name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".") and not _ing2gw_non_manifest(folder, name)


def discover(path: str, recursive: bool) -> list[str]:
    """Manifest files under a directory, sorted; hidden entries and ing2gw's own reports are skipped."""
    return walk(path, recursive)[0]


def walk(path: str, recursive: bool) -> tuple[list[str], list[str]]:
    """(manifest files, Helm chart folders) under a directory, sorted. A folder with a Chart.yaml
    is a chart: none of its files is listed (its templates are not manifests until rendered)."""
    found: list[str] = []
    charts: list[str] = []
    root = Path(path)
    if (root / "Chart.yaml").is_file():
        return [], [path]
    if recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath != str(root) and "Chart.yaml" in filenames:
                charts.append(dirpath)
                dirnames[:] = []
                continue
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if _manifest_file(Path(dirpath), f))
    else:
        for entry in sorted(root.iterdir()):
            if entry.is_file() and _manifest_file(root, entry.name):
                found.append(str(entry))
    return found, sorted(charts)


def chart_result(folder: str) -> LoadResult:
    """A Helm chart met in a directory: one problem when a template renders an Ingress (it is not
    converted until rendered), else one skipped note. Its files are not parsed."""
    name = os.path.basename(os.path.normpath(folder))
    chart_file = os.path.join(folder, "Chart.yaml")
    try:
        m = re.search(r"^name:\s*[\"']?([^\"'\s#]+)", Path(chart_file).read_text(encoding="utf-8"), re.MULTILINE)
        name = m.group(1) if m else name
    except (OSError, UnicodeDecodeError):
        pass
    ingress_templates = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(folder, "templates")):
        dirnames.sort()
        for f in sorted(filenames):
            try:
                text = Path(dirpath, f).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if _KIND_INGRESS.search(text):
                ingress_templates.append(os.path.relpath(os.path.join(dirpath, f), folder))
    hint = RENDER_HINT.replace("CHART", os.path.normpath(folder))
    if ingress_templates:
        return LoadResult(problems=[Problem(chart_file, 1, f"Helm chart {name!r}: its templates are not Kubernetes "
                                            f"manifests and {', '.join(ingress_templates)} render(s) an Ingress, "
                                            f"which is not converted; {hint}")])
    return LoadResult(skipped=[Problem(chart_file, 1, f"Helm chart {name!r} (no Ingress template): its files "
                                       "are not Kubernetes manifests until rendered; not read")])


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
    result = load_all(sources, recursive=recursive, stdin=stdin, on_file=on_file)
    if result.problems or result.skipped:
        raise InputError([*result.problems, *result.skipped])
    if not result.manifests:
        raise InputError([no_objects(sources)])
    return result.manifests


def no_objects(sources: Sequence[str]) -> Problem:
    """The problem of an input without a single Kubernetes object."""
    names = ", ".join("stdin" if s == "-" else s for s in sources) or "(nothing)"
    return Problem(names, 0, "no Kubernetes objects found; pass manifest files, a directory (-R to descend) or "
                             "'-' for stdin")


def load_all(
    sources: Sequence[str],
    *,
    recursive: bool = False,
    stdin: IO[bytes] | IO[str] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> LoadResult:
    """Every object of `sources`, every problem and every skipped non-manifest; raises nothing.

    `convert` uses it to report every problem of a run at once (and, with --skip-invalid, to
    translate what is valid); `load()` is the strict form.
    """
    result = LoadResult()
    for src in sources:
        for part in _load_source(src, recursive, stdin, on_file):
            result.extend(part)
    return result


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
        files, charts = walk(src, recursive)
        if not files and not charts:
            hint = "" if recursive else " (use -R to read sub-directories)"
            yield LoadResult(problems=[Problem(src, 0, f"no .yaml, .yml or .json files in this directory{hint}")])
            return
        for c in charts:
            yield chart_result(c)
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


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def field_line_at(origin: Origin, where: str) -> int:
    """`field_line` for a path written as in messages: `spec.rules[0].http.paths[1].pathType`,
    `metadata.annotations[example.com/key]`. The object's own line when nothing matches."""
    path: list[str | int] = [name or (int(index) if index.isdigit() else index)
                             for name, index in _PATH_TOKEN.findall(where)]
    return (field_line(origin, path) if path else 0) or origin.line


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
    if result.problems or result.skipped:
        raise InputError([*result.problems, *result.skipped])
    return result.manifests
