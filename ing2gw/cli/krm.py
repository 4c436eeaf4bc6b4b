"""`ing2gw krm` (KRM function and legacy Kustomize exec plugin) and `ing2gw install-kustomize-plugin`."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import click

from ing2gw import krm as lib
from ing2gw.cli import pipeline
from ing2gw.errors import UsageError
from ing2gw.findings import EXIT_OK


@click.command()
@click.option("--kustomize-plugin", "plugin_config", default=None, metavar="CONFIG",
              help="Speak the legacy Kustomize exec plugin protocol: CONFIG is the Ing2Gw file Kustomize "
                   "passes as the first argument, stdin and stdout are plain YAML streams. The script "
                   "written by `ing2gw install-kustomize-plugin` passes it.")
@click.argument("extra", nargs=-1, metavar="")
def krm(plugin_config: str | None, extra: tuple[str, ...]) -> int:
    """Convert Ingresses inside a kpt or Kustomize pipeline.

    As a KRM function (kpt `fn eval --exec` / `fn render --allow-exec`, standalone
    `kustomize build --enable-alpha-plugins --enable-exec`): reads a ResourceList on stdin
    and writes one on stdout. The Ingresses in `items` become Gateway API objects; every other
    item is passed through unchanged; findings go to `results` and to stderr.

    Options come from the functionConfig, an `ing2gw.io/v1alpha1` `Ing2Gw` object with the
    options under `spec` (or a ConfigMap: `kpt fn eval -- failOn=never`): controller, target,
    gatewayName, gatewayNamespace, gatewayClass, gatewayControllerName, singleGateway,
    emitGatewayClass, namespace, annotationsPrefix, ingressClass, nginxConfigmap, nginxFlags, allowWeakened,
    allowCrossNamespace, keepIngress (default false: converted Ingresses are dropped) and failOn (default error).

    \b
    Exit codes: 0 success; 1 findings at or above failOn (Kustomize ignores result severities,
    so the build fails through the exit code, with the reasons on stderr); 2 bad config or input.
    """
    if extra:
        where = ("argsOneLiner/argsFromFile are not used" if plugin_config is not None
                 else "`ing2gw krm` takes no arguments")
        raise UsageError(f"{where} (got {' '.join(extra)}): put the options under spec: in the Ing2Gw config")
    if plugin_config is not None:
        return pipeline.run_plugin(plugin_config)
    return pipeline.run_function()


@click.command("install-kustomize-plugin")
@click.option("--plugin-home", default=None, metavar="DIR", type=click.Path(file_okay=False),
              help="Kustomize plugin home to install into. Default: the one Kustomize searches "
                   "($KUSTOMIZE_PLUGIN_HOME, $XDG_CONFIG_HOME/kustomize/plugin, ~/.config/kustomize/plugin, "
                   "~/kustomize/plugin: the first that exists, else the first of them).")
@click.option("--force", is_flag=True, help="Overwrite a plugin file that ing2gw did not write.")
def install_kustomize_plugin(plugin_home: str | None, force: bool) -> int:
    """Install ing2gw as a legacy Kustomize exec plugin for `kubectl kustomize --enable-alpha-plugins`.

    Writes DIR/ing2gw.io/v1alpha1/ing2gw/Ing2Gw, a small script that runs this ing2gw with the
    Python it is installed in, and prints the kustomization entry and Ing2Gw config to use.
    """
    env = dict(os.environ)
    home = Path(plugin_home) if plugin_home else lib.default_plugin_home(env, Path.home())
    path = lib.plugin_path(home)
    if path.exists() and not force:
        try:
            ours = lib.PLUGIN_MARKER in path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            ours = False
        if not ours:
            raise UsageError(f"{path} exists and was not written by ing2gw; pass --force to overwrite it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lib.plugin_script(sys.executable), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"ing2gw: installed the Kustomize plugin {path}", err=True)
    found = lib.default_plugin_home(env, Path.home())
    if found.resolve() != home.resolve():
        click.echo(f"ing2gw: Kustomize does not look in {home} by default (it uses {found}); "
                   f"build with KUSTOMIZE_PLUGIN_HOME={home}", err=True)
    click.echo("ing2gw: build with: kubectl kustomize --enable-alpha-plugins DIR", err=True)
    click.echo(lib.KUSTOMIZATION_SNIPPET, nl=False)
    return EXIT_OK
