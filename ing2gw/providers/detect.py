"""Which controller serves an Ingress, decided from evidence; undecided means not translated.

An Ingress of another controller translated with ingress-nginx's semantics is the worst
outcome ing2gw can produce: every annotation "copied", exit 0, and traffic that goes
elsewhere after the cut-over. So the controller is decided from evidence, in this order
(mappings/controllers.yaml is the table):

1. the class: `--class CLASS=CONTROLLER` (the user's word, above everything else), else the
   IngressClass object's `spec.controller`, else the class name (`spec.ingressClassName`
   without an IngressClass object in the input, or the legacy `kubernetes.io/ingress.class`
   annotation; ingress-nginx's `--ingress-class` counts as a name of ingress-nginx), else the
   default IngressClass for an Ingress without class;
2. the annotations it carries whose key or prefix only some controllers read
   (`nginx.org/`, `traefik.ingress.kubernetes.io/`, ...). Tools that work with any controller
   (cert-manager, external-dns, Argo CD, ...) are never evidence.

Every piece names the controllers it is consistent with. The controller is the one they all
agree on. When they disagree (class `nginx` but `nginx.org/rewrites`), when a class is unknown
(no IngressClass object, no known name), when they leave several controllers possible, or when
the controller is one ing2gw does not translate, the Ingress is not translated and the verdict
carries an error naming each piece of evidence and the way out. Only an Ingress with no class
and no evidence at all falls back to `--controller` (default ingress-nginx), with an info
finding saying it was assumed.

Which controllers ing2gw translates comes from the table's `translated` list, never from this
module. Everything here is a pure function of the Ingress, the input's IngressClasses, the
options and the table.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

from ing2gw import mappings
from ing2gw.errors import UsageError
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import IS_DEFAULT_CLASS, Ingress
from ing2gw.model.inputs import Inputs
from ing2gw.options import DEFAULT_NGINX_PREFIX, Options

LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
#: the controller of a verdict the evidence does not decide
UNKNOWN = "unknown"
NOT_TRANSLATED_CODE = "ING2GW-CORE-001"
CONFLICT_CODE = "ING2GW-DETECT-001"
UNKNOWN_CLASS_CODE = "ING2GW-DETECT-002"
ASSUMED_CODE = "ING2GW-DETECT-003"
UNKNOWN_CLASS_CONTROLLER_CODE = "ING2GW-DETECT-004"
UNDECIDED_CODE = "ING2GW-DETECT-005"
UNUSED_CLASS_OPTION_CODE = "ING2GW-DETECT-006"
#: annotation keys named in a message before "(+N more)"
_KEYS_SHOWN = 3


# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class ControllerTable:
    """mappings/controllers.yaml, checked and indexed (see the file's header for each part)."""

    names: Mapping[str, str]
    translated: frozenset[str]
    class_controllers: Mapping[str, str]
    class_names: Mapping[str, str]
    #: whole annotation key -> controllers; prefix ("domain/") -> controllers
    exact_keys: Mapping[str, tuple[str, ...]]
    prefixes: Mapping[str, tuple[str, ...]]
    neutral: frozenset[str]
    aliases: Mapping[str, str]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ControllerTable:
        """Check the table's references and shapes; raises ValueError naming the problem."""
        names = {str(k): str((v or {}).get("name") or k) for k, v in (data.get("controllers") or {}).items()}
        problems: list[str] = []

        def known(ctl: Any, where: str) -> str:
            if ctl not in names:
                problems.append(f"{where} names controller {ctl!r}, which is not under `controllers`")
            return str(ctl)

        translated = frozenset(known(c, "translated") for c in data.get("translated") or ())
        class_controllers = {str(k): known(v, f"ingress_class_controllers[{k}]")
                             for k, v in (data.get("ingress_class_controllers") or {}).items()}
        class_names = {str(k): known(v, f"class_names[{k}]") for k, v in (data.get("class_names") or {}).items()}
        exact: dict[str, tuple[str, ...]] = {}
        prefixes: dict[str, tuple[str, ...]] = {}
        for row in data.get("annotations") or ():
            match = str(row["match"])
            ctls = tuple(known(c, f"annotations[{match}]") for c in row.get("controllers") or ())
            if not ctls:
                problems.append(f"annotations[{match}] names no controller")
            if match.endswith("/"):
                if match.count("/") != 1:
                    problems.append(f"annotations[{match}]: a prefix is a domain followed by '/'")
                target = prefixes
            else:
                target = exact
            if match in target:
                problems.append(f"annotations[{match}] is listed twice")
            target[match] = ctls
        neutral = frozenset(str(n) for n in data.get("neutral") or ())
        for n in sorted(neutral):
            if n.endswith("/") and n.count("/") != 1:
                problems.append(f"neutral {n!r}: a prefix is a domain followed by '/'")
        aliases = {str(k): known(v, f"aliases[{k}]") for k, v in (data.get("aliases") or {}).items()}
        if problems:
            raise ValueError("mappings/controllers.yaml: " + "; ".join(problems))
        return cls(names=names, translated=translated, class_controllers=class_controllers,
                   class_names=class_names, exact_keys=exact, prefixes=prefixes, neutral=neutral, aliases=aliases)

    def controller_of_ingress_class(self, value: str) -> str | None:
        """The controller id of an IngressClass `spec.controller` value, or None."""
        if value in self.class_controllers:
            return self.class_controllers[value]
        # `key/*` rows: the longest key that `value` lies below
        parts = value.split("/")
        for n in range(len(parts) - 1, 0, -1):
            ctl = self.class_controllers.get("/".join(parts[:n]) + "/*")
            if ctl is not None:
                return ctl
        return None

    def is_neutral(self, key: str) -> bool:
        return key in self.neutral or _domain(key) in self.neutral

    def annotation_controllers(self, key: str) -> tuple[str, ...] | None:
        """The controllers that read annotation `key` (a whole-key row beats a prefix row), or
        None when the key is no evidence (neutral, or not in the table)."""
        if self.is_neutral(key):
            return None
        found = self.exact_keys.get(key)
        return found if found is not None else self.prefixes.get(_domain(key))

    def known(self) -> list[str]:
        """Every controller id, sorted."""
        return sorted(self.names)

    def suggest(self, value: str) -> str | None:
        """The controller id closest to a misspelt or other name (`ngnix`, `nginx-inc`), or None."""
        spellings = {**{k: v for k, v in self.class_names.items() if "/" not in k}, **self.aliases,
                     **{k: k for k in self.names}}
        if value in spellings:
            return spellings[value]
        close = difflib.get_close_matches(value, sorted(spellings), 1, 0.6)
        return spellings[close[0]] if close else None


def _domain(key: str) -> str:
    """`nginx.org/rewrites` -> `nginx.org/`; a key without '/' -> ''."""
    head, sep, _ = key.partition("/")
    return head + sep if sep else ""


@functools.cache
def default_table() -> ControllerTable:
    """The shipped table, mappings/controllers.yaml."""
    return ControllerTable.from_data(mappings.table("controllers"))


# ---------------------------------------------------------------------------------------------
# --class CLASS=CONTROLLER


def check_controller(value: str, table: ControllerTable | None = None) -> str | None:
    """Why `value` is not a controller id ing2gw knows (with a did-you-mean), or None."""
    table = table or default_table()
    if value in table.names:
        return None
    guess = table.suggest(value)
    hint = f" — did you mean {guess}?" if guess else ""
    return f"unknown controller {value!r}{hint} (known: {', '.join(table.known())})"


def parse_class_options(values: Iterable[str] | Mapping[str, str], where: str = "--class",
                        table: ControllerTable | None = None) -> tuple[tuple[str, str], ...]:
    """`CLASS=CONTROLLER` strings (or a {class: controller} mapping) as sorted (class,
    controller) pairs. Raises UsageError naming every problem: no `=`, an empty class, an
    unknown controller (with a did-you-mean), a class given two different controllers."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    if isinstance(values, Mapping):
        items = [(str(k), v) for k, v in values.items()]
    else:
        items = []
        for v in values:
            name, sep, ctl = str(v).partition("=")
            if not sep:
                problems.append(f"{where} {v!r}: expected CLASS=CONTROLLER, e.g. with-tls=ingress-nginx")
                continue
            items.append((name, ctl))
    out: dict[str, str] = {}
    for name, ctl in items:
        name = name.strip()
        if not name:
            problems.append(f"{where} ={ctl}: the class name is empty")
            continue
        if not isinstance(ctl, str) or not ctl.strip():
            problems.append(f"{where} {name}=: name the controller that serves class {name}")
            continue
        ctl = ctl.strip()
        problem = check_controller(ctl, table)
        if problem:
            problems.append(f"{where} {name}={ctl}: {problem}")
            continue
        if name in out and out[name] != ctl:
            problems.append(f"{where}: class {name} is given two controllers ({out[name]} and {ctl})")
            continue
        out[name] = ctl
        pairs.append((name, ctl))
    if problems:
        raise UsageError("; ".join(problems))
    return tuple(sorted(out.items()))


# ---------------------------------------------------------------------------------------------
# Evidence and verdict

EvidenceKind = Literal["class-option", "ingressclass", "default-ingressclass", "class-name", "legacy-annotation",
                       "annotations"]
Status = Literal["detected", "assumed", "not-translated", "conflict", "unknown-class", "undecided"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing that says which controller serves an Ingress.

    `says`: the controller ids it is consistent with (several for a prefix that several
    controllers read); empty when it names a class or controller ing2gw does not know.
    `class_name`: the class it is about; `ingress_class_controller`: the IngressClass object's
    spec.controller it read, if any; `keys`: the annotation keys (kind "annotations").
    """

    kind: EvidenceKind
    text: str
    says: tuple[str, ...]
    class_name: str | None = None
    keys: tuple[str, ...] = ()
    ingress_class_controller: str | None = None

    @property
    def is_class(self) -> bool:
        return self.kind != "annotations"

    def describe(self) -> str:
        """`text: what it says`, for messages."""
        if not self.says:
            return f"{self.text}: no controller ing2gw knows"
        return f"{self.text}: {' or '.join(self.says)}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Which controller serves an Ingress, under which class, and how we know.

    * controller: the controller id, or UNKNOWN when the evidence does not decide;
    * class_name: the class the Ingress is grouped under (one Gateway per class);
    * how: the evidence in a few words (the report's "class source");
    * translated: whether a provider of ing2gw translates it; if not, `code` is an error;
    * code/severity/message/suggestion: the finding the verdict calls for (None: none).
    """

    controller: str
    class_name: str
    how: str
    status: Status
    translated: bool
    evidence: tuple[Evidence, ...] = ()
    code: str | None = None
    severity: Severity = Severity.INFO
    message: str = ""
    suggestion: str = ""

    def finding(self, ing: Ingress) -> Finding | None:
        """The verdict's finding about `ing`, or None when there is nothing to say."""
        if self.code is None:
            return None
        return Finding(self.severity, self.code, self.message, origin=ing.origin, subject=f"Ingress {ing.key}",
                       suggestion=self.suggestion or None)


def detect(ing: Ingress, inputs: Inputs, options: Options, table: ControllerTable | None = None) -> Verdict:
    """The verdict for one Ingress (see the module docstring for the rules)."""
    table = table or default_table()
    class_ev = _class_evidence(ing, inputs, options, table)
    ann_ev = _annotation_evidence(ing, options, table)
    evidence = (*class_ev, *ann_ev)
    class_name = next((e.class_name for e in class_ev if e.class_name), None)
    unknown = [e for e in class_ev if not e.says]
    if unknown:
        return _unknown_class(unknown[0], class_name or "", evidence, ann_ev, table)
    if not evidence:
        ctl = options.controller
        how = f"no class on the Ingress: --controller {ctl}"
        if ctl in table.translated:
            return Verdict(ctl, _classless(ctl, options), how, "assumed", True, (), ASSUMED_CODE, Severity.INFO,
                           f"no class (no ingressClassName, no {LEGACY_CLASS_ANNOTATION} annotation, no default "
                           f"IngressClass in the input) and no controller-specific annotation: assumed to be served "
                           f"by {ctl} (--controller)",
                           "give the Ingress a class (spec.ingressClassName), or pass --controller NAME if another "
                           "controller serves Ingresses without class")
        return _not_translated(ctl, _classless(ctl, options), how, evidence, table, "assumed")
    candidates = _agreed(evidence)
    how = class_ev[0].text if class_ev else "no class on the Ingress; " + _keys_text(ann_ev)
    if not candidates:
        return _conflict(class_name or "", how, evidence, table)
    if len(candidates) > 1:
        if options.controller in candidates:
            # nothing decides between them; --controller is the user's word for class-less Ingresses
            ctl = options.controller
            how = f"{how} (--controller {ctl})"
        else:
            return _undecided(candidates, class_name or "", how, evidence, table)
    else:
        ctl = candidates[0]
    name = class_name or _classless(ctl, options)
    if ctl not in table.translated:
        return _not_translated(ctl, name, how, evidence, table, "not-translated")
    if ctl == "traefik" and options.traefik_static is not None:
        from ing2gw.providers.traefik.static import skipped_by, static_of

        why = skipped_by(static_of(options), ing)
        if why is not None:
            # Traefik's provider options skip it: it never routed anything (T-A1)
            return Verdict(ctl, name, how, "not-translated", False, evidence, "ING2GW-TRAEFIK-063", Severity.WARNING,
                           f"Traefik's static configuration ({why}) makes Traefik skip this Ingress: nothing of it "
                           "is translated", "translate it with the static configuration of the Traefik that serves it")
    return Verdict(ctl, name, how, "detected", True, evidence)


def unused_class_options(ingresses: Iterable[Ingress], inputs: Inputs, options: Options) -> list[Finding]:
    """An info finding for each `--class` entry no Ingress's class names (a typo, most likely)."""
    used: set[str] = set()
    defaults = _default_classes(inputs)
    for ing in ingresses:
        used.update(n for n in (ing.spec.ingress_class_name, ing.annotations.get(LEGACY_CLASS_ANNOTATION)) if n)
        if not ing.spec.ingress_class_name and not ing.annotations.get(LEGACY_CLASS_ANNOTATION) and defaults:
            used.add(defaults[0])
    out = []
    for name, ctl in options.classes:
        if name not in used:
            known = sorted(used)
            close = difflib.get_close_matches(name, known, 1, 0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            out.append(Finding(Severity.INFO, UNUSED_CLASS_OPTION_CODE,
                               f"--class {name}={ctl}: no Ingress in the input has class {name!r}{hint}",
                               suggestion="check the class name against the Ingresses' spec.ingressClassName"))
    return out


# ---------------------------------------------------------------------------------------------
# Gathering evidence


def _class_evidence(ing: Ingress, inputs: Inputs, options: Options, table: ControllerTable) -> list[Evidence]:
    overrides = dict(options.classes)
    out: list[Evidence] = []
    name = ing.spec.ingress_class_name
    legacy = (ing.annotations.get(LEGACY_CLASS_ANNOTATION) or "").strip() or None
    if name:
        ic = inputs.ingress_classes.get(name)
        if name in overrides:
            out.append(_override(f"ingressClassName {name}", name, overrides[name], ic))
        elif ic is not None and ic.spec.controller:
            ctl = table.controller_of_ingress_class(ic.spec.controller)
            out.append(Evidence("ingressclass", f"IngressClass {name} (controller {ic.spec.controller})",
                                (ctl,) if ctl else (), name, ingress_class_controller=ic.spec.controller))
        else:
            out.append(_by_name("class-name", f"ingressClassName {name}", name, options, table))
    if legacy and legacy != name:
        text = f"annotation {LEGACY_CLASS_ANNOTATION}={legacy}"
        if legacy in overrides:
            out.append(_override(text, legacy, overrides[legacy], None))
        else:
            out.append(_by_name("legacy-annotation", text, legacy, options, table))
    if not out:
        defaults = _default_classes(inputs)
        if defaults:
            ic = inputs.ingress_classes[defaults[0]]
            text = f"default IngressClass {ic.metadata.name} ({IS_DEFAULT_CLASS})"
            if ic.metadata.name in overrides:
                out.append(_override(text, ic.metadata.name, overrides[ic.metadata.name], ic))
            else:
                ctl = table.controller_of_ingress_class(ic.spec.controller or "") or \
                    table.class_names.get(ic.metadata.name)
                out.append(Evidence("default-ingressclass", text, (ctl,) if ctl else (), ic.metadata.name,
                                    ingress_class_controller=ic.spec.controller))
    return out


def _default_classes(inputs: Inputs) -> list[str]:
    return sorted(n for n, ic in inputs.ingress_classes.items() if ic.is_default)


def _override(text: str, name: str, ctl: str, ic: Any) -> Evidence:
    # the user's word beats the IngressClass object; say what it overrides
    replaced = f", over IngressClass {name}'s controller {ic.spec.controller}" if ic is not None and ic.spec.controller \
        else ""
    return Evidence("class-option", f"{text} (--class {name}={ctl}{replaced})", (ctl,), name)


def _by_name(kind: EvidenceKind, text: str, name: str, options: Options, table: ControllerTable) -> Evidence:
    ctl = table.class_names.get(name)
    if ctl is None and name == options.ingress_class:
        # the class ingress-nginx serves by its --ingress-class flag
        ctl = "ingress-nginx"
        text = f"{text} (ingress-nginx --ingress-class={name})"
    if ctl is None and options.traefik_static is not None:
        from ing2gw.providers.traefik.static import static_of

        if name == static_of(options).ingress_class:
            # the class Traefik serves by providers.kubernetesIngress.ingressClass
            ctl = "traefik"
            text = f"{text} (Traefik providers.kubernetesIngress.ingressClass={name})"
    return Evidence(kind, text, (ctl,) if ctl else (), name)


def _annotation_evidence(ing: Ingress, options: Options, table: ControllerTable) -> list[Evidence]:
    custom = options.annotations_prefix.rstrip("/") + "/"
    groups: dict[tuple[str, ...], list[str]] = {}
    for key in sorted(ing.annotations):
        if key == LEGACY_CLASS_ANNOTATION:
            continue
        if custom != DEFAULT_NGINX_PREFIX + "/" and key.startswith(custom) and key not in table.exact_keys:
            # ingress-nginx's --annotations-prefix: its own prefix, whatever the table says of it
            ctls: tuple[str, ...] | None = ("ingress-nginx",)
        else:
            ctls = table.annotation_controllers(key)
        if ctls is not None:
            groups.setdefault(ctls, []).append(key)
    return [Evidence("annotations", _keys_text_of(keys), ctls, None, tuple(keys)) for ctls, keys in groups.items()]


def _keys_text_of(keys: list[str]) -> str:
    shown = ", ".join(keys[:_KEYS_SHOWN])
    more = f" (+{len(keys) - _KEYS_SHOWN} more)" if len(keys) > _KEYS_SHOWN else ""
    return f"annotation{'s' if len(keys) > 1 else ''} {shown}{more}"


def _keys_text(ann_ev: list[Evidence]) -> str:
    return "; ".join(e.text for e in ann_ev)


def _agreed(evidence: tuple[Evidence, ...]) -> list[str]:
    """The controllers every piece of evidence is consistent with, in the first piece's order."""
    common = set(evidence[0].says)
    for e in evidence[1:]:
        common &= set(e.says)
    return [c for c in evidence[0].says if c in common]


def _classless(ctl: str, options: Options) -> str:
    """The class an Ingress without class is grouped under (ingress-nginx: its --ingress-class)."""
    return options.ingress_class if ctl == "ingress-nginx" else ctl


# ---------------------------------------------------------------------------------------------
# Verdicts that refuse, with their way out


def _summary(evidence: tuple[Evidence, ...], how: str) -> str:
    if len(evidence) <= 1:
        return how
    return "; ".join(e.describe() for e in evidence)


def _translated_list(table: ControllerTable) -> str:
    if not table.translated:
        return "no controller yet"
    return ", ".join(sorted(table.translated)) + " only"


def _not_translated(ctl: str, class_name: str, how: str, evidence: tuple[Evidence, ...], table: ControllerTable,
                    status: Status) -> Verdict:
    class_ev = [e for e in evidence if e.is_class and e.class_name]
    ways = ["convert it by hand"]
    if class_ev:
        # ingress-nginx first: the controller most Ingresses of an unknown class turn out to be
        other = "ingress-nginx" if "ingress-nginx" in table.translated else next(iter(sorted(table.translated)), None)
        if other:
            ways.append(f"pass --class {class_ev[0].class_name}={other} if {other} really serves class "
                        f"{class_ev[0].class_name}")
    elif evidence:
        ways.append("if another controller serves it, remove the " + _keys_text([e for e in evidence if not e.is_class])
                    + " or give it a class (spec.ingressClassName) and say which controller serves that class with "
                    "--class CLASS=CONTROLLER")
    else:
        ways.append("pass --controller NAME if another controller serves Ingresses without class")
    return Verdict(ctl, class_name, how, status, False, evidence, NOT_TRANSLATED_CODE, Severity.ERROR,
                   f"served by {ctl} ({_summary(evidence, how)}); ing2gw translates {_translated_list(table)}, "
                   "so this Ingress is not in the output", ", or ".join(ways))


def _unknown_class(e: Evidence, class_name: str, evidence: tuple[Evidence, ...], ann_ev: list[Evidence],
                   table: ControllerTable) -> Verdict:
    name = e.class_name or class_name
    hinted = _agreed(tuple(ann_ev)) if ann_ev else []
    guess = hinted[0] if len(hinted) == 1 else "CONTROLLER"
    others = [x.describe() for x in evidence if x is not e]
    rest = f"; {'; '.join(others)}" if others else ""
    known = "" if guess != "CONTROLLER" else f" (known: {', '.join(table.known())})"
    config = f" (or `classes: {{{name}: {guess}}}` in the --config file)"
    if e.kind in ("ingressclass", "default-ingressclass"):
        code = UNKNOWN_CLASS_CONTROLLER_CODE
        what = f"{e.text} names a controller ing2gw does not know{rest}"
        fix = (f"if one of ing2gw's controllers runs under that name (e.g. ingress-nginx with its --controller-class "
               f"flag), say so: --class {name}={guess}{known}{config}, or convert it by hand")
    else:
        code = UNKNOWN_CLASS_CODE
        what = (f"{e.text}: no IngressClass object named {name} in the input, and not a class name ing2gw knows"
                f"{rest}")
        fix = (f"say which controller serves class {name}: --class {name}={guess}{known}{config}, or pass the "
               f"IngressClass object too (kubectl get ingressclass {name} -o yaml), or convert it by hand")
    return Verdict(UNKNOWN, name, e.text, "unknown-class", False, evidence, code, Severity.ERROR,
                   f"{what}; this Ingress is not in the output (say which controller serves the class: "
                   f"--class {name}={guess})", fix)


def _conflict(class_name: str, how: str, evidence: tuple[Evidence, ...], table: ControllerTable) -> Verdict:
    return Verdict(UNKNOWN, class_name, how, "conflict", False, evidence, CONFLICT_CODE, Severity.ERROR,
                   "the evidence disagrees on the controller (" + "; ".join(e.describe() for e in evidence)
                   + "), so this Ingress is not translated and not in the output",
                   _ways_out(evidence, table))


def _undecided(candidates: list[str], class_name: str, how: str, evidence: tuple[Evidence, ...],
               table: ControllerTable) -> Verdict:
    return Verdict(UNKNOWN, class_name, how, "undecided", False, evidence, UNDECIDED_CODE, Severity.ERROR,
                   f"the evidence leaves several controllers possible ({'; '.join(e.describe() for e in evidence)}) "
                   f"and nothing decides between {', '.join(candidates)}; this Ingress is not in the output",
                   "give the Ingress a class (spec.ingressClassName) and say which controller serves it with "
                   "--class CLASS=CONTROLLER, or pass --controller NAME if it is one of them, or convert it by hand")


def _ways_out(evidence: tuple[Evidence, ...], table: ControllerTable) -> str:
    """For each controller the evidence names: what makes the evidence agree on it."""
    order: list[str] = []
    for e in evidence:
        order += [c for c in e.says if c not in order]
    class_ev = [e for e in evidence if e.is_class]
    ways = []
    for ctl in order:
        if ctl not in table.translated:
            ways.append(f"if {ctl} serves it, convert it by hand (ing2gw does not translate {ctl})")
            continue
        steps = []
        for e in class_ev:
            if ctl not in e.says and e.class_name:
                steps.append(f"pass --class {e.class_name}={ctl}")
        stray = [k for e in evidence if not e.is_class and ctl not in e.says for k in e.keys]
        if stray:
            shown = ", ".join(stray[:_KEYS_SHOWN]) + (f" (+{len(stray) - _KEYS_SHOWN} more)"
                                                      if len(stray) > _KEYS_SHOWN else "")
            steps.append(f"remove {shown} ({ctl} does not read {'them' if len(stray) > 1 else 'it'})")
        if steps:
            ways.append(f"if {ctl} serves it, " + " and ".join(steps))
    return "; ".join(ways) or "convert it by hand"
