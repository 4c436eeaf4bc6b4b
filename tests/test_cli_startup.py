"""Start-up is guarded by structure, not by the clock: what each command imports.

Every small run pays the start-up (each `kubectl kustomize` through the plugin, each KRM function
call, each pre-commit hook), so `ing2gw --version` and `--help` import no command and no model,
and `convert` of one Ingress imports neither the report nor the equivalence check unless asked.
The figures themselves are in benchmarks/startup.py (docs/performance.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ing2gw.cli import COMMANDS, _listed, cli, load_command, main

ONE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
"""

#: what neither --version nor --help may import: the models, the heavy libraries, any command
HEAVY = ("pydantic", "pydantic_core", "ing2gw.model", "jinja2", "deepdiff", "rich", "ing2gw.translate",
         "ing2gw.cli.convert", "ing2gw.cli.migrate", "ing2gw.cli.verify", "ing2gw.cli.simulate",
         "ing2gw.cli.explain", "ing2gw.cli.krm", "ruamel")
#: what `convert` of one Ingress to stdout may not import: the report beyond its summary, the
#: equivalence check, the simulators and their libraries
NOT_FOR_CONVERT = ("ing2gw.report.model", "ing2gw.report.renderers", "ing2gw.report.lost", "ing2gw.equivalence.check",
                   "ing2gw.equivalence.verification", "ing2gw.simulate", "ing2gw.cli.verify_render", "ing2gw.cli.explain",
                   "ing2gw.outdir", "jinja2", "deepdiff", "rich",
                   # issue 23, round two: what the one-Ingress path used to import and does not need
                   "hashlib", "importlib.resources", "importlib.abc", "tempfile", "ing2gw.providers.traefik",
                   "ing2gw.providers.haproxy")


def imported(*args: str, cwd: Path | None = None, validate_output: bool = False) -> set[str]:
    """The modules a fresh `python -X importtime -m ing2gw ARGS` imports (it must succeed), as a
    user runs it: without the output validation the test suite turns on (tests/conftest.py)."""
    env = {k: v for k, v in os.environ.items() if k != "ING2GW_VALIDATE_OUTPUT"}
    if validate_output:
        env["ING2GW_VALIDATE_OUTPUT"] = "1"
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "ing2gw", *args], capture_output=True, text=True,
                       cwd=cwd, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    mods = {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    mods.discard("imported package")  # the header line
    assert "ing2gw.cli" in mods, "importtime output not understood"
    return mods


def offending(mods: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"]])
def test_version_and_help_import_no_command_and_no_model(args: list[str]) -> None:
    assert offending(imported(*args), HEAVY) == []


def test_convert_of_one_ingress_loads_no_report_and_no_check(tmp_path: Path) -> None:
    (tmp_path / "ing.yaml").write_text(ONE_INGRESS)
    mods = imported("convert", "-f", "ing.yaml", cwd=tmp_path)
    assert "ing2gw.translate" in mods and "ing2gw.emit.gateway" in mods, "the conversion itself ran"
    assert offending(mods, NOT_FOR_CONVERT) == []


def test_convert_of_one_ingress_compiles_no_class_and_parses_no_data_file(tmp_path: Path) -> None:
    """The start-up's two largest costs are gone structurally: the dataclasses' methods come from
    ing2gw/_dataclass_methods and the data files' values from ing2gw/_parsed_data, so a
    one-Ingress run neither compiles a method (no `dataclasses` exec) nor parses a table."""
    (tmp_path / "ing.yaml").write_text(ONE_INGRESS)
    code = (
        "import dataclasses, io, contextlib, sys\n"
        "import ing2gw.datafile as d\n"
        "compiled, parsed = [], []\n"
        "real_exec = dataclasses.exec if hasattr(dataclasses, 'exec') else exec\n"
        "def counting_exec(text, *a, **k):\n"
        "    compiled.append(text.splitlines()[1].strip()); return real_exec(text, *a, **k)\n"
        "dataclasses.exec = counting_exec\n"
        "real_parse = d.parse_data\n"
        "d.parse_data = lambda text, name: parsed.append(name) or real_parse(text, name)\n"
        "from ing2gw.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['convert', '-f', 'ing.yaml'])\n"
        "    except SystemExit: pass\n"
        "print(len(compiled), compiled[:3], parsed)\n")
    env = {k: v for k, v in os.environ.items() if k != "ING2GW_VALIDATE_OUTPUT"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "0 [] []", r.stdout


#: what `convert` of valid input need not import at all: pydantic (the strict input models
#: decide only what the fast reader declines; the output models validate only on request)
NOT_FOR_VALID_INPUT = ("pydantic", "pydantic_core", "ing2gw.model.gateway", "ing2gw.model.ingress_strict")


def test_convert_of_valid_input_imports_no_pydantic(tmp_path: Path) -> None:
    (tmp_path / "ing.yaml").write_text(ONE_INGRESS)
    assert offending(imported("convert", "-f", "ing.yaml", cwd=tmp_path), NOT_FOR_VALID_INPUT) == []
    # the other side: validation on request, and invalid input, reach the strict models
    mods = imported("convert", "-f", "ing.yaml", cwd=tmp_path, validate_output=True)
    assert {"pydantic", "ing2gw.model.gateway"} <= mods
    (tmp_path / "bad.yaml").write_text(ONE_INGRESS.replace("number: 80", "number: true"))
    r = subprocess.run([sys.executable, "-m", "ing2gw", "convert", "-f", "bad.yaml"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "bad.yaml:18" in r.stderr and "expected a whole number, not 'true'" in r.stderr


def test_asking_for_the_check_and_the_report_loads_them(tmp_path: Path) -> None:
    # the other side of the test above: the guard would notice if these were never imported
    (tmp_path / "ing.yaml").write_text(ONE_INGRESS)
    mods = imported("convert", "-f", "ing.yaml", "--verify", "--report", "r.md", cwd=tmp_path)
    assert {"ing2gw.equivalence.verification", "ing2gw.report.model", "ing2gw.report.renderers", "jinja2"} <= mods
    assert (tmp_path / "r.md").read_text().startswith("# ")


def test_offending_notices_a_forbidden_module() -> None:
    assert offending({"ing2gw.cli", "pydantic.main", "richer"}, ("pydantic", "rich")) == ["pydantic.main"]


# -- the command list --help shows without importing the commands -----------------------------


def first_paragraph(cmd: click.Command) -> str:
    return " ".join((cmd.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_summary_is_the_commands_own_first_paragraph(name: str) -> None:
    cmd = load_command(name)
    assert COMMANDS[name].summary == first_paragraph(cmd)
    for limit in (30, 45, 80, 200):
        assert _listed(name).get_short_help_str(limit) == cmd.get_short_help_str(limit)


def test_help_lists_commands_as_click_would(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    ours = capsys.readouterr().out
    # click's own rendering from the imported commands
    ctx = click.Context(cli, info_name="ing2gw", max_content_width=100)
    formatter = ctx.make_formatter()
    click.Group.format_commands(cli, ctx, formatter)
    assert formatter.getvalue().strip() and formatter.getvalue() in ours
    assert [line.split()[0] for line in ours.split("Commands:\n", 1)[1].splitlines()] == list(COMMANDS)


def test_every_command_is_listed() -> None:
    # a click command defined in any module of ing2gw/cli must be registered in COMMANDS
    import importlib

    cli_dir = Path(importlib.import_module("ing2gw.cli").__file__ or "").parent
    registered = {id(load_command(name)): name for name in COMMANDS}
    defined = {}
    for path in cli_dir.glob("*.py"):
        name = "ing2gw.cli" if path.stem == "__init__" else f"ing2gw.cli.{path.stem}"
        for attr, value in vars(importlib.import_module(name)).items():
            if isinstance(value, click.Command) and not isinstance(value, click.Group) \
                    and getattr(value.callback, "__module__", None) == name:
                defined[id(value)] = f"{name}:{attr}"
    assert sorted(defined[i] for i in set(defined) - set(registered)) == []
    assert len(registered) == len(COMMANDS) and set(registered) <= set(defined)


# -- the pipeline forms of `ing2gw krm` run without click ---------------------------------------

PLUGIN_CONFIG = "apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata:\n  name: ing2gw\nspec:\n  gatewayNamespace: infra\n"
RESOURCE_LIST = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
                 + "".join("- " + ln[0:] + "\n" if i == 0 else "  " + ln + "\n"
                           for i, ln in enumerate(ONE_INGRESS.strip().splitlines())))


def _imported_with_stdin(args: list[str], stdin: str, cwd: Path) -> tuple[set[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "ING2GW_VALIDATE_OUTPUT"}
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "ing2gw", *args], input=stdin, capture_output=True,
                       text=True, cwd=cwd, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    mods = {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "ing2gw.krm" in mods, "importtime output not understood, or the function did not run"
    return mods, r.stdout


@pytest.mark.parametrize("form", ["function", "plugin"])
def test_kpt_and_kustomize_runs_import_no_click(tmp_path: Path, form: str) -> None:
    (tmp_path / "cfg.yaml").write_text(PLUGIN_CONFIG)
    args, stdin = (["krm"], RESOURCE_LIST) if form == "function" else (["krm", "--kustomize-plugin", "cfg.yaml"],
                                                                        ONE_INGRESS)
    mods, out = _imported_with_stdin(args, stdin, tmp_path)
    assert "kind: HTTPRoute" in out, out[:500]
    assert offending(mods, ("click", "ing2gw.cli.app", "ing2gw.cli.krm")) == []


def _run_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], stdin: str,
                    through_click: bool) -> tuple[int, str, str]:
    import io

    from ing2gw.cli import pipeline

    if through_click:
        monkeypatch.setattr(pipeline, "fast_path", lambda args: None)
    else:
        assert pipeline.fast_path(args) is not None
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(args)
    out, err = capsys.readouterr()
    monkeypatch.undo()
    return code, out, err


@pytest.mark.parametrize("case", ["function", "function-bad-item", "plugin", "plugin-missing-config",
                                  "plugin-bad-config", "plugin-bad-input", "plugin-fails-on-error"])
def test_the_pipeline_forms_answer_as_the_click_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], case: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.yaml").write_text(PLUGIN_CONFIG)
    (tmp_path / "bad.yaml").write_text(PLUGIN_CONFIG.replace("gatewayNamespace: infra", "gatewayNamespce: infra"))
    (tmp_path / "strict.yaml").write_text(PLUGIN_CONFIG + "  failOn: info\n")
    args, stdin = {
        "function": (["krm"], RESOURCE_LIST),
        "function-bad-item": (["krm"], RESOURCE_LIST.replace("number: 80", "number: true")),
        "plugin": (["krm", "--kustomize-plugin", "cfg.yaml"], ONE_INGRESS),
        "plugin-missing-config": (["krm", "--kustomize-plugin", "nosuch.yaml"], ONE_INGRESS),
        "plugin-bad-config": (["krm", "--kustomize-plugin", "bad.yaml"], ONE_INGRESS),
        "plugin-bad-input": (["krm", "--kustomize-plugin", "cfg.yaml"], ONE_INGRESS + "---\n: [\n"),
        "plugin-fails-on-error": (["krm", "--kustomize-plugin", "strict.yaml"], ONE_INGRESS),
    }[case]
    fast = _run_in_process(monkeypatch, capsys, args, stdin, through_click=False)
    monkeypatch.chdir(tmp_path)
    slow = _run_in_process(monkeypatch, capsys, args, stdin, through_click=True)
    assert fast == slow
    expected_code = {"function": 0, "plugin": 0, "plugin-fails-on-error": 1}.get(case, 2)
    if case == "function-bad-item":
        expected_code = fast[0]  # a bad item is a result of the function, whatever its severity
    assert fast[0] == expected_code, fast
    if expected_code == 2:
        assert fast[2].startswith("error: "), fast[2]


def test_other_argument_lists_go_through_click() -> None:
    from ing2gw.cli import pipeline

    for args in (["krm", "--help"], ["krm", "--kustomize-plugin"], ["krm", "--kustomize-plugin", "--help"],
                 ["krm", "--kustomize-plugin", "c.yaml", "extra"], ["krm", "--kustomize-plugin=c.yaml"],
                 ["convert", "-f", "x.yaml"], []):
        assert pipeline.fast_path(args) is None, args
