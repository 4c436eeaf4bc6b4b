"""The map files the controller writes and how HAProxy looks keys up in them (haproxy-semantics.md
H-B3..H-B6, H-C3, H-C4).

Rows are `key<TAB><TAB><TAB>value`; before writing, the controller sorts the whole lines
(`pkg/haproxy/maps/main.go` getContent). HAProxy keeps duplicate keys and returns the first row
of the file, so among rows with the same key the one whose *value* sorts first wins. `map` is an
exact lookup; `map_beg` returns the row with the longest key that starts the sample (HAProxy
indexes `beg` patterns in a prefix tree), the first row on equal keys.

Every path key is a host followed by a path that starts with `/`, and hosts hold no `/`: a key
can only start a sample of the same host, so the prefix lookup is done per host.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST = "host"
PATH_EXACT = "path-exact"
PATH_PREFIX_EXACT = "path-prefix-exact"
PATH_PREFIX = "path-prefix"
MAP_NAMES = (HOST, PATH_EXACT, PATH_PREFIX_EXACT, PATH_PREFIX)


@dataclass(frozen=True, slots=True)
class Row:
    """One map row and the Ingress whose path wrote it (`ingress` is "ns/name")."""

    key: str
    value: str
    ingress: str

    @property
    def line(self) -> str:
        return f"{self.key}\t\t\t{self.value}"

    @property
    def backend(self) -> str:
        """The backend the main `use_backend %[var(txn.path_match),field(1,.)]` rule names."""
        return self.value.split(".", 1)[0]


def _split(key: str) -> tuple[str, str] | None:
    slash = key.find("/")
    return None if slash == -1 else (key[:slash], key[slash:])


class MapFile:
    """A map file: rows in the controller's (sorted) order and the lookup HAProxy does."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: list[Row] = []
        self._exact: dict[str, Row] = {}
        #: host -> (key lengths of its paths, longest first; path -> first row)
        self._beg: dict[str, tuple[tuple[int, ...], dict[str, Row]]] = {}
        self._odd: list[Row] = []

    def append(self, key: str, value: str, ingress: str) -> None:
        self.rows.append(Row(key, value, ingress))

    def seal(self) -> None:
        """Sort the rows as the controller does and index them."""
        self.rows.sort(key=lambda r: r.line)
        by_host: dict[str, dict[str, Row]] = {}
        for row in self.rows:
            self._exact.setdefault(row.key, row)
            parts = _split(row.key)
            if parts is None:
                self._odd.append(row)
                continue
            by_host.setdefault(parts[0], {}).setdefault(parts[1], row)
        for host, paths in by_host.items():
            self._beg[host] = (tuple(sorted({len(p) for p in paths}, reverse=True)), paths)

    def get(self, key: str) -> Row | None:
        """`map`: the first row whose key is `key`."""
        return self._exact.get(key)

    def get_beg(self, host: str, path: str) -> Row | None:
        """`map_beg` for the sample `host + path`: the row with the longest key starting it."""
        best: Row | None = None
        entry = self._beg.get(host)
        if entry is not None and path.startswith("/"):
            lengths, paths = entry
            n = len(path)
            for length in lengths:
                if length <= n:
                    row = paths.get(path[:length])
                    if row is not None:
                        best = row
                        break
        elif path[:1] != "/":
            sample = host + path
            for key, (_, paths) in self._beg.items():
                for p, row in paths.items():
                    full = key + p
                    if sample.startswith(full) and (best is None or len(full) > len(best.key)):
                        best = row
        if self._odd:
            sample = host + path
            for row in self._odd:
                if sample.startswith(row.key) and (best is None or len(row.key) > len(best.key)):
                    best = row
        return best

    def keys(self) -> set[str]:
        return {r.key for r in self.rows}
