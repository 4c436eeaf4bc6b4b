"""Fuzz ing2gw's command line with mutated manifests: never a traceback, always exit 0, 1 or 2.

Each input is a golden case's manifests (golden/*/*/input.yaml) with one to four mutations: a
value replaced by a hostile one (wrong type, upper case, huge, empty, path traversal, markup, IP
without prefix, ...), a key removed, an ingress-nginx annotation or ConfigMap key added with an
odd value, a list turned into a mapping, an object duplicated, or the text itself cut or
corrupted. The inputs go through `ing2gw convert` (click's CliRunner, in-process), and some
through `convert --verify`, `simulate`, `krm` (a ResourceList) and the Kustomize plugin mode.
A crash is an unhandled exception, a traceback in the output, or an exit code other than 0, 1, 2.

    python benchmarks/fuzz.py --inputs 100000 --seed 1        # crashes per 100k inputs (goal: 0)

tests/test_fuzz.py runs 5,000 of them (seeded) in the suite.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

#: values that broke, or could break, a reader or an emitter
NASTY: list[Any] = [
    True, False, None, 0, -1, 1, 80, 65535, 65536, 2**31, 2**63, 1.5, -0.0, "", " ", ",", " , ", "Upper", "UPPER.example.com",
    "a" * 300, "x" * 70, "\u202eevil", "\x00", "é", "<script>alert(1)</script>", "${x}", "$request_uri",
    "../../etc/passwd", "/abs/path", "on", "off", "yes", "/mirror", "mirror.shop.svc", "http://x:99999/",
    "http://[::1", "https://mirror.shop.svc.cluster.local:8443/x", "10.0.0.0/33", "203.0.113.7", "::1",
    "10.0.0.0/8,,10.1.0.0/16", "*.example.com", "a..b", "%2F", "/(.*)", "/$1", "/api(/|$)(.*)", "~*curl",
    "``tick``", "a|b", "[x](javascript:alert(1))", "\n", "\t", "ns/name", "finance/creds", "a/b/c", "/", "//",
    "-", "-1", "1e309", "0x1F", "0644", "null", "true", [], {}, [1, "a"], {"a": {"b": [None]}}, [[[]]],
]

ACTIONS = ("replace", "replace", "replace", "delete", "annotation", "annotation", "annotation", "configmap", "retype",
           "duplicate", "text")


def seed_cases(root: Path = ROOT) -> list[list[Any]]:
    """The manifests of every golden case, as plain values."""
    from ing2gw.load import load_text

    cases = []
    for f in sorted((root / "golden").glob("*/*/input.yaml")):
        cases.append([m.obj for m in load_text(f.read_text(encoding="utf-8"), str(f))])
    return cases


def annotation_keys() -> list[str]:
    from ing2gw.providers.ingress_nginx.annotations import rows

    return sorted(rows())


def configmap_keys() -> list[str]:
    from ing2gw.providers.ingress_nginx.globals import global_keys
    from ing2gw.simulate.nginx_settings import MODELLED_KEYS

    return sorted(set(global_keys()) | set(MODELLED_KEYS) | {"use-proxy-protocol", "annotations-risk-level"})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        root = root[p]
    return root


@dataclass
class Mutator:
    """Deterministic mutations from a seed."""

    seed: int
    cases: list[list[Any]]
    ann_keys: list[str] = field(default_factory=annotation_keys)
    cm_keys: list[str] = field(default_factory=configmap_keys)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def nasty(self) -> Any:
        return copy.deepcopy(self.rng.choice(NASTY))

    def value(self) -> Any:
        """A plausible or hostile annotation value (strings mostly: annotations are strings)."""
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.choice(NASTY))
        if r < 0.8:
            return self.rng.choice(["true", "false", "10", "0", "/", "/$2", "10.0.0.0/8", "GRPC", "HTTPS", "on",
                                    "shop/web", "http://shadow.shop.svc:8080$request_uri", "X-Canary"])
        return self.nasty()

    def input(self) -> tuple[list[Any], str]:
        """(objects, how they were mutated)."""
        objs = copy.deepcopy(self.rng.choice(self.cases))
        done = []
        for _ in range(self.rng.randint(1, 4)):
            action = self.rng.choice(ACTIONS)
            if action == "text":
                done.append("text")
                continue
            if not objs:
                break
            i = self.rng.randrange(len(objs))
            obj = objs[i]
            if action == "duplicate":
                objs.append(copy.deepcopy(obj))
            elif action == "annotation":
                md = obj.setdefault("metadata", {}) if isinstance(obj, dict) else None
                if isinstance(md, dict):
                    anns = md.setdefault("annotations", {})
                    if isinstance(anns, dict):
                        prefix = self.rng.choice(["nginx.ingress.kubernetes.io", "nginx.ingress.kubernetes.io",
                                                  "custom.io", "Bad Prefix", "cert-manager.io",
                                                  "external-dns.alpha.kubernetes.io"])
                        anns[f"{prefix}/{self.rng.choice(self.ann_keys)}"] = self.value()
            elif action == "configmap":
                objs.insert(0, {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                                "data": {self.rng.choice(self.cm_keys): self.value() for _ in range(self.rng.randint(1, 3))}})
            else:
                paths = [p for p in _paths(obj) if p]
                if not paths:
                    objs[i] = self.nasty()
                    continue
                path = self.rng.choice(paths)
                parent = _get(obj, path[:-1])
                if action == "delete":
                    del parent[path[-1]]
                elif action == "retype":
                    old = parent[path[-1]]
                    parent[path[-1]] = (list(old.values()) if isinstance(old, dict) else
                                        {str(k): v for k, v in enumerate(old)} if isinstance(old, list) else [old])
                else:
                    parent[path[-1]] = self.nasty()
            done.append(action)
        return objs, ",".join(done)

    def text(self, objs: list[Any], how: str) -> str:
        """The objects as a YAML stream (JSON documents are YAML), sometimes corrupted."""
        docs = []
        for o in objs:
            try:
                docs.append(json.dumps(o, ensure_ascii=self.rng.random() < 0.5))
            except (TypeError, ValueError):
                docs.append(str(o))
        text = "\n---\n".join(docs) + "\n"
        if "text" in how and text:
            at = self.rng.randrange(len(text))
            choice = self.rng.random()
            if choice < 0.4:
                text = text[:at]
            elif choice < 0.7:
                text = text[:at] + self.rng.choice(["&a ", "*a", "!!binary ", "\t", "{", "- ", ": ", "'", "%YAML 9\n",
                                                    "<<: *x\n", "\x00", "\ufeff"]) + text[at:]
            else:
                text = text[:at] + text[at + self.rng.randint(1, 40):]
        return text


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    """`ing2gw` as the console script runs it (main(): errors become messages and exit codes)."""
    from ing2gw.cli import main

    ctx.exit(main(ctx.args))


@dataclass
class Crash:
    seed: int
    index: int
    command: list[str]
    how: str
    exit_code: int
    error: str
    text: str


def quiet_runtime() -> Callable[[], None]:
    """Keep the CLI from running a full garbage collection on every command (it tunes the
    collector for one large run per process; thousands of small runs in one process would spend
    their time there). Returns the function that restores it."""
    import ing2gw.cli.convert as convert_cli

    saved = (convert_cli.freeze_loaded, convert_cli.tune_for_batch, convert_cli.freeze_kept,
             convert_cli.release_garbage)
    for name in ("freeze_loaded", "tune_for_batch", "freeze_kept", "release_garbage"):
        setattr(convert_cli, name, lambda *_: None)

    def restore() -> None:
        (convert_cli.freeze_loaded, convert_cli.tune_for_batch, convert_cli.freeze_kept,
         convert_cli.release_garbage) = saved
    return restore


#: share of the inputs that go through `convert --verify`, `simulate` and `krm` (the rest: `convert`);
#: the check builds two routers per input, hundreds of times the work of a conversion
MIX = {"verify": 0.01, "simulate": 0.02, "krm": 0.03}


def commands(rng: random.Random, text: str) -> tuple[list[str], str]:
    """A command line for one input, and what goes to stdin (most inputs go through convert)."""
    r = rng.random()
    extra = rng.choice([[], [], ["--target", "envoy-gateway"], ["--allow-cross-namespace"], ["-o", "json"],
                        ["--annotations-prefix", "custom.io"], ["--single-gateway"]])
    if r < 1 - sum(MIX.values()):
        return ["convert", "-f", "-", *extra], text
    r -= 1 - sum(MIX.values())
    if r < MIX["verify"]:
        return ["convert", "-f", "-", "--verify", *extra], text
    if r < MIX["verify"] + MIX["simulate"]:
        return ["simulate", "--side", "ingress", "-f", "-", "--request",
                rng.choice(["GET http://shop.example.com/", "GET https://x.example.com/api", "POST http://a/b?c=d"])], text
    items = []
    for chunk in text.split("\n---\n"):
        try:
            items.append(json.loads(chunk))
        except ValueError:
            items.append(chunk)
    rl = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items})
    return ["krm"], rl


def run(seed: int, count: int, *, cases: list[list[Any]] | None = None, stop_after: int | None = None,
        start: int = 0) -> tuple[int, list[Crash]]:
    """Run `count` inputs from `seed`; (inputs run, crashes)."""
    mutator = Mutator(seed, cases if cases is not None else seed_cases())
    runner = CliRunner()
    crashes: list[Crash] = []
    restore = quiet_runtime()
    try:
        for i in range(start, start + count):
            objs, how = mutator.input()
            text = mutator.text(objs, how)
            args, stdin = commands(mutator.rng, text)
            result = runner.invoke(_entry, ["--", *args], input=stdin)  # `--`: the wrapper parses nothing
            output = result.output
            crashed = (result.exception is not None and not isinstance(result.exception, SystemExit)) \
                or result.exit_code not in (0, 1, 2) or "Traceback (most recent call last)" in output
            if crashed:
                exc = result.exception
                crashes.append(Crash(seed, i, args, how, result.exit_code,
                                     f"{type(exc).__name__}: {exc}" if exc is not None else output[-300:], stdin[:2000]))
                if stop_after is not None and len(crashes) >= stop_after:
                    return i - start + 1, crashes
    finally:
        restore()
    return count, crashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=5, help="crashes to print in full")
    args = ap.parse_args()
    start = time.perf_counter()
    ran, crashes = run(args.seed, args.inputs)
    seconds = time.perf_counter() - start
    print(f"{ran} inputs (seed {args.seed}) in {seconds:.0f} s ({ran / seconds:.0f}/s): {len(crashes)} crash(es), "
          f"{len(crashes) * 100_000 / max(ran, 1):.1f} per 100k inputs")
    by_error: dict[str, list[Crash]] = {}
    for c in crashes:
        by_error.setdefault(c.error.splitlines()[0][:120], []).append(c)
    for error, cs in sorted(by_error.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(cs):>6}  {error}")
    for c in crashes[:args.show]:
        print(f"\n--- input {c.index} ({c.how}): ing2gw {' '.join(c.command)} -> exit {c.exit_code}\n{c.error}\n{c.text}")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
