"""The check split over two processes answers exactly as one process does (equivalence/check.py:
`_evaluate_in_two`), and without the second process when it fails."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from golden_harness import parse_flags
from ing2gw.cli.convert import build_options
from ing2gw.equivalence import check
from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.translate import translate

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the second process is forked")


def _corpus_text(tmp_path: Path, n: int) -> str:
    spec = importlib.util.spec_from_file_location("bench_corpus_for_check", BENCH / "corpus.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(BENCH))
    mod.generate(n, 6, 12, tmp_path / "c")
    return "---\n".join(p.read_text() for p in sorted((tmp_path / "c").rglob("*.yaml")))


def _check(text: str, workers: int) -> dict[str, Any]:
    manifests = load_text(text, "corpus.yaml")
    options = build_options(parse_flags([]))
    v = verify_translation(translate(manifests, options), manifests, options, workers=workers)
    d = v.to_dict()
    d["cause_counts"] = sorted((list(k), n) for k, n in v.cause_counts.items())
    return d


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _corpus_text(tmp_path_factory.mktemp("corpus"), 120)


def test_two_processes_answer_as_one(corpus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # small batches, so that there are many of them and causes run past the examples kept
    monkeypatch.setattr(check, "BATCH", 61)
    one = _check(corpus, workers=1)
    two = _check(corpus, workers=2)
    assert one["probes"] > 20 * 61 and one["explained"] > 2 * 50, "the corpus exercises batches and kept examples"
    assert any(n > 50 for _, n in one["cause_counts"]), "some cause has more probes than examples kept"
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_a_failing_second_process_changes_nothing(corpus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check, "BATCH", 61)
    one = _check(corpus, workers=1)
    parent = os.getpid()
    real = check._condense

    def failing_in_the_child(*args: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the second process fails")
        return real(*args)

    monkeypatch.setattr(check, "_condense", failing_in_the_child)
    assert json.dumps(_check(corpus, workers=2), sort_keys=True) == json.dumps(one, sort_keys=True)


def test_processes_are_chosen_by_size_and_never_with_an_observer() -> None:
    assert check._processes(None, check.PARALLEL_MIN - 1, None) == 1
    assert check._processes(1, 10_000, None) == 1
    assert check._processes(2, 10, None) == 2
    assert check._processes(2, 10_000, object()) == 1, "an observer needs every answer in this process"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    assert check._processes(None, check.PARALLEL_MIN, None) == (2 if cpus >= 2 else 1)


def test_a_process_with_other_threads_checks_alone() -> None:
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        assert check._processes(2, 10_000, None) == 1
    finally:
        stop.set()
        t.join()
    assert check._processes(2, 10_000, None) == 2
