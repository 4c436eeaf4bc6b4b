"""A CEL evaluator with the semantics of cel-go as the Kubernetes API server runs it.

cel-python parses (its Lark grammar, extended here with the optional-field syntax `a.?b` and
`a[?k]` that Kubernetes enables); the tree is then compiled into Python closures by this module,
because the rules need cel-go's behaviour where cel-python's own evaluator differs:

* `||` and `&&` are commutative over errors: `error || true` is true, `error && false` is
  false; otherwise the error wins. `all`/`exists` fold the same way; `exists_one`, `map` and
  `filter` do not absorb errors; a ternary with an error condition is that error.
* Equality is heterogeneous (`1 == 1.0`, `1 == 'a'` is false); int, uint and double compare
  across types; int64 overflow and division by zero are errors; integer division truncates.
* Field selection on an absent field is the error "no such key: f"; `has()` tests presence;
  `x.?f` is an optional and every later selection on it is optional too (cel-go's
  attribute qualifiers), so `has(a.?b.c)` is true only when both are present.
* Functions are only those of cellib (the Kubernetes environment); any other name, macro form
  or syntax makes the program unsupported at compile time, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import celpy.celparser
import lark

from . import cellib
from .celtypes import (NONE, TYPE_IDENTIFIERS, CelError, CelType, Optional, UInt, Unsupported, cel_compare,
                       cel_equal, map_lookup, no_overload, type_name)

Env = dict[str, Any]
Node = Callable[[Env], Any]
Tree = lark.Tree[Any]

# -------------------------------------------------------------------------- the parser
_OPTIONAL_SYNTAX = """
member_dot_opt   : member "." "?" IDENT
member_index_opt : member "[" "?" expr "]"
"""
_MEMBER_RULE = "member         : member_dot | member_dot_arg | member_index | member_object | primary"


def _grammar() -> str:
    text = (Path(celpy.celparser.__file__).parent / "cel.lark").read_text()
    if _MEMBER_RULE not in text:  # a new cel-python grammar: refuse rather than parse differently
        raise RuntimeError("cel-python's grammar changed: update gwvalidate/celeval.py")
    return text.replace(_MEMBER_RULE, _MEMBER_RULE + " | member_dot_opt | member_index_opt") + _OPTIONAL_SYNTAX


def _true_false(t: lark.Token) -> lark.Token:
    return lark.Token("BOOL_LIT", t.value) if t.value in ("true", "false") else t


_PARSER = lark.Lark(_grammar(), parser="lalr", start="expr", g_regex_flags=re.M, lexer_callbacks={"IDENT": _true_false},
                    propagate_positions=False, maybe_placeholders=False, priority="invert")


class CompileError(Exception):
    """The expression cannot be evaluated by this module (syntax or feature not implemented)."""


# -------------------------------------------------------------------------- literals
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'",
            '"': '"', "`": "`", "?": "?"}
_ESCAPE = re.compile(r"\\(?:([abfnrtv\\'\"`?])|([0-3][0-7]{2})|[xX]([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})"
                     r"|U([0-9a-fA-F]{8})|(.))", re.S)


def _unquote(text: str) -> tuple[str, bool]:
    """The value of a CEL string literal (r/R raw, triple quotes, escapes) and whether it was bytes."""
    is_bytes = text[:1] in "bB"
    if is_bytes:
        text = text[1:]
    raw = text[:1] in "rR"
    if raw:
        text = text[1:]
    quote = text[:3] if text[:3] in ('"""', "'''") else text[:1]
    body = text[len(quote):-len(quote)]
    if raw:
        return body, is_bytes

    def one(m: re.Match[str]) -> str:
        simple, octal, hx, u4, u8, bad = m.groups()
        if simple:
            return _ESCAPES[simple]
        if bad is not None:
            raise CompileError(f"invalid escape sequence \\{bad}")
        return chr(int(octal, 8) if octal else int(hx or u4 or u8, 16))
    return _ESCAPE.sub(one, body), is_bytes


def _literal(tok: lark.Token) -> Any:
    kind, text = tok.type, tok.value
    if kind == "BOOL_LIT":
        return text == "true"
    if kind == "NULL_LIT":
        return None
    if kind == "INT_LIT":
        v = int(text, 16) if "x" in text.lower() else int(text)
        if not -(2**63) <= v <= 2**63 - 1:
            raise CompileError(f"integer literal out of range: {text}")
        return v
    if kind == "UINT_LIT":
        return UInt(int(text[:-1], 16) if "x" in text.lower() else int(text[:-1]))
    if kind == "FLOAT_LIT":
        return float(text)
    if kind in ("STRING_LIT", "MLSTRING_LIT", "BYTES_LIT"):
        s, is_bytes = _unquote(text)
        return s.encode("latin-1" if all(ord(c) < 256 for c in s) else "utf-8") if is_bytes else s
    raise CompileError(f"unknown literal {kind}")


# -------------------------------------------------------------------------- compiled programs
@dataclass
class Program:
    """A compiled expression: run(activation) gives its value or raises CelError/Unsupported."""

    source: str
    run: Node | None
    unsupported: str | None = None
    functions: set[str] = field(default_factory=set)
    uses_old_self: bool = False

    def evaluate(self, activation: Env) -> Any:
        """The value of the expression for these variables (e.g. {"self": ...})."""
        if self.run is None:
            raise Unsupported(self.unsupported or "not compiled")
        return self.run(activation)


def compile_cel(source: str, variables: frozenset[str] = frozenset({"self"})) -> Program:
    """Parse and compile; never raises: a Program with .unsupported says why it cannot run."""
    try:
        tree = _PARSER.parse(source)
    except lark.exceptions.LarkError as e:
        return Program(source, None, f"cannot parse: {str(e).splitlines()[0]}")
    c = _Compiler(variables)
    try:
        run = c.expr(tree)
    except CompileError as e:
        return Program(source, None, str(e), c.functions, c.uses_old_self)
    return Program(source, run, None, c.functions, c.uses_old_self)


_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_NAMESPACES = {"format", "optional", "sets", "ip", "cel", "strings", "math"}


class _Compiler:
    def __init__(self, variables: frozenset[str]) -> None:
        self.variables = variables
        self.functions: set[str] = set()
        self.uses_old_self = False
        self.bound: list[str] = []  # comprehension variables in scope

    # ---- precedence levels
    def expr(self, t: Tree) -> Node:
        if t.data != "expr":
            return self.node(t)
        if len(t.children) == 1:
            return self.node(t.children[0])
        cond, yes, no = (self.node(c) for c in t.children)

        def ternary(env: Env) -> Any:
            c = cond(env)
            if c is True:
                return yes(env)
            if c is False:
                return no(env)
            raise no_overload("_?_:_", c)
        return ternary

    def node(self, t: Any) -> Node:
        if isinstance(t, lark.Token):
            raise CompileError(f"unexpected token {t!r}")
        method = getattr(self, "n_" + t.data, None)
        if method is None:
            raise CompileError(f"unsupported syntax: {t.data}")
        result: Node = method(t)
        return result

    def n_expr(self, t: Tree) -> Node:
        return self.expr(t)

    def n_conditionalor(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        return _logic(self.node(t.children[0]), self.node(t.children[1]), True)

    def n_conditionaland(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        return _logic(self.node(t.children[0]), self.node(t.children[1]), False)

    def n_relation(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        op_tree, right_t = t.children
        left, right, op = self.node(op_tree.children[0]), self.node(right_t), op_tree.data
        if op == "relation_eq":
            return lambda env: cel_equal(left(env), right(env))
        if op == "relation_ne":
            return lambda env: not cel_equal(left(env), right(env))
        if op == "relation_in":
            return lambda env: cellib.contained_in(left(env), right(env))
        want = {"relation_lt": (-1,), "relation_le": (-1, 0), "relation_gt": (1,), "relation_ge": (1, 0)}[op]
        name = {"relation_lt": "_<_", "relation_le": "_<=_", "relation_gt": "_>_", "relation_ge": "_>=_"}[op]
        return lambda env: cel_compare(name, left(env), right(env)) in want

    def n_addition(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        op_tree, right_t = t.children
        left, right = self.node(op_tree.children[0]), self.node(right_t)
        fn = cellib.add if op_tree.data == "addition_add" else cellib.subtract
        return lambda env: fn(left(env), right(env))

    def n_multiplication(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        op_tree, right_t = t.children
        left, right = self.node(op_tree.children[0]), self.node(right_t)
        fn = {"multiplication_mul": cellib.multiply, "multiplication_div": cellib.divide,
              "multiplication_mod": cellib.modulo}[op_tree.data]
        return lambda env: fn(left(env), right(env))

    def n_unary(self, t: Tree) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0])
        op, operand_t = t.children
        operand = self.node(operand_t)
        if op.data == "unary_not":
            def logical_not(env: Env) -> bool:
                v = operand(env)
                if v is True or v is False:
                    return not v
                raise no_overload("!_", v)
            return logical_not
        return lambda env: cellib.negate(operand(env))

    # ---- members
    def n_member(self, t: Tree) -> Node:
        return self.node(t.children[0])

    def n_primary(self, t: Tree) -> Node:
        return self.node(t.children[0])

    def n_paren_expr(self, t: Tree) -> Node:
        return self.node(t.children[0])

    def n_literal(self, t: Tree) -> Node:
        tok = t.children[0]
        assert isinstance(tok, lark.Token)
        value = _literal(tok)
        return lambda env: value

    def n_list_lit(self, t: Tree) -> Node:
        items = [self.node(c) for c in t.children[0].children] if t.children else []
        return lambda env: [f(env) for f in items]

    def n_map_lit(self, t: Tree) -> Node:
        parts = [self.node(c) for c in t.children[0].children] if t.children else []
        pairs = list(zip(parts[0::2], parts[1::2]))

        def build(env: Env) -> dict[Any, Any]:
            out: dict[Any, Any] = {}
            for kf, vf in pairs:
                k = kf(env)
                if not isinstance(k, (str, int, bool)) or isinstance(k, float):
                    raise CelError(f"unsupported map key type: {type_name(k)}")
                if map_lookup(out, k)[0]:
                    raise CelError(f"Failed with repeated key: {k}")
                out[k] = vf(env)
            return out
        return build

    def n_ident(self, t: Tree) -> Node:
        name = str(t.children[0])
        if name == "oldSelf":
            self.uses_old_self = True
        if name in self.bound or name in self.variables or name == "oldSelf":
            def var(env: Env) -> Any:
                try:
                    return env[name]
                except KeyError:
                    raise Unsupported(f"variable {name} is not bound") from None
            return var
        if name in TYPE_IDENTIFIERS:
            value = CelType(name)
            return lambda env: value
        raise CompileError(f"undeclared reference to {name!r}")

    def n_member_dot(self, t: Tree) -> Node:
        target_t, name_tok = t.children
        qualified = self._qualified_name(target_t, str(name_tok))
        if qualified in TYPE_IDENTIFIERS:
            value = CelType(qualified)
            return lambda env: value
        target, name = self.node(target_t), str(name_tok)
        return lambda env: select(target(env), name)

    def n_member_dot_opt(self, t: Tree) -> Node:
        target, name = self.node(t.children[0]), str(t.children[1])
        return lambda env: select_optional(target(env), name)

    def n_member_index(self, t: Tree) -> Node:
        target, key = self.node(t.children[0]), self.node(t.children[1])
        return lambda env: index(target(env), key(env))

    def n_member_index_opt(self, t: Tree) -> Node:
        target, key = self.node(t.children[0]), self.node(t.children[1])
        return lambda env: index_optional(target(env), key(env))

    def n_member_object(self, t: Tree) -> Node:
        raise CompileError("message construction (Type{...}) is not supported")

    def n_dot_ident(self, t: Tree) -> Node:
        raise CompileError("leading-dot identifiers are not supported")

    def n_dot_ident_arg(self, t: Tree) -> Node:
        raise CompileError("leading-dot function calls are not supported")

    def _qualified_name(self, t: Any, name: str) -> str | None:
        """'format.dns1123Label' when t is the bare identifier 'format' (not a variable)."""
        while isinstance(t, lark.Tree) and t.data in ("member", "primary") and len(t.children) == 1:
            t = t.children[0]
        if isinstance(t, lark.Tree) and t.data == "ident":
            ident = str(t.children[0])
            if ident not in self.bound and ident not in self.variables and ident != "oldSelf":
                return f"{ident}.{name}"
        return None

    # ---- calls
    def _args(self, t: Tree | None) -> list[Any]:
        return list(t.children) if t is not None else []

    def n_ident_arg(self, t: Tree) -> Node:
        name = str(t.children[0])
        args = self._args(t.children[1] if len(t.children) > 1 else None)
        if name == "has":
            return self._has(args)
        return self._call_global(name, args)

    def _call_global(self, name: str, args: list[Any]) -> Node:
        if name not in cellib.GLOBALS:
            raise CompileError(f"unsupported function: {name}()")
        arities, fn = cellib.GLOBALS[name]
        if len(args) not in arities:
            raise CompileError(f"unsupported overload: {name}() with {len(args)} argument(s)")
        self.functions.add(name)
        compiled = [self.node(a) for a in args]
        if len(compiled) == 1:
            (a0,) = compiled
            return lambda env: fn(a0(env))
        return lambda env: fn(*(a(env) for a in compiled))

    def n_member_dot_arg(self, t: Tree) -> Node:
        target_t, name_tok = t.children[0], str(t.children[1])
        args = self._args(t.children[2] if len(t.children) > 2 else None)
        qualified = self._qualified_name(target_t, name_tok)
        if qualified == "cel.bind":
            return self._bind(args)
        if qualified is not None and (qualified in cellib.GLOBALS or qualified.split(".")[0] in _NAMESPACES):
            return self._call_global(qualified, args)
        if name_tok in _MACROS and args and _ident_name(args[0]) is not None:
            return self._macro(name_tok, target_t, args)
        if name_tok in ("optMap", "optFlatMap"):
            raise CompileError(f"unsupported macro: {name_tok}()")
        if name_tok not in cellib.METHODS:
            raise CompileError(f"unsupported function: .{name_tok}()")
        arities, fn = cellib.METHODS[name_tok]
        if len(args) not in arities:
            raise CompileError(f"unsupported overload: .{name_tok}() with {len(args)} argument(s)")
        self.functions.add("." + name_tok)
        target = self.node(target_t)
        compiled = [self.node(a) for a in args]
        if not compiled:
            return lambda env: fn(target(env))
        if len(compiled) == 1:
            (a0,) = compiled
            return lambda env: fn(target(env), a0(env))
        return lambda env: fn(target(env), *(a(env) for a in compiled))

    def _has(self, args: list[Any]) -> Node:
        sel = _unwrap(args[0]) if len(args) == 1 else None
        if sel is None or sel.data != "member_dot":
            raise CompileError("invalid argument to has() macro")
        self.functions.add("has")
        target, name = self.node(sel.children[0]), str(sel.children[1])

        def has(env: Env) -> bool:
            v = target(env)
            if isinstance(v, Optional):
                if not v.present:
                    return False
                v = v.value
            if isinstance(v, dict):
                return name in v
            raise no_overload("has", v)
        return has

    def _bind(self, args: list[Any]) -> Node:
        var = _ident_name(args[0]) if len(args) == 3 else None
        if var is None:
            raise CompileError("invalid cel.bind()")
        init = self.node(args[1])
        self.bound.append(var)
        body = self.node(args[2])
        self.bound.pop()

        def bind(env: Env) -> Any:
            inner = dict(env)
            inner[var] = init(env)
            return body(inner)
        return bind

    def _macro(self, name: str, target_t: Any, args: list[Any]) -> Node:
        var = _ident_name(args[0])
        assert var is not None
        if len(args) == 3 and _ident_name(args[1]) is not None and name in ("all", "exists", "exists_one"):
            raise CompileError(f"unsupported macro: two-variable {name}()")
        if not (len(args) == 2 or (name == "map" and len(args) == 3)):
            raise CompileError(f"unsupported macro form: {name}() with {len(args)} arguments")
        self.functions.add("." + name)
        target = self.node(target_t)
        self.bound.append(var)
        body = [self.node(a) for a in args[1:]]
        self.bound.pop()
        return _comprehension(name, target, var, body)


def _unwrap(t: Any) -> Any:
    """The single meaningful node under chains of one-child precedence nodes."""
    while isinstance(t, lark.Tree) and len(t.children) == 1 and t.data in (
            "expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary",
            "member", "primary"):
        t = t.children[0]
    return t


def _ident_name(t: Any) -> str | None:
    t = _unwrap(t)
    if isinstance(t, lark.Tree) and t.data == "ident":
        return str(t.children[0])
    return None


# -------------------------------------------------------------------------- semantics
def _logic(left: Node, right: Node, is_or: bool) -> Node:
    """cel-go's commutative || and &&: a deciding operand wins over an error on the other side;
    an unsupported (unknown) operand wins over an error, like cel-go's unknowns."""
    decide: bool = is_or
    name = "_||_" if is_or else "_&&_"

    def run(env: Env) -> bool:
        try:
            a: Any = left(env)
        except (CelError, Unsupported) as e:
            a = e
        if a is decide:
            return is_or
        try:
            b: Any = right(env)
        except (CelError, Unsupported) as e:
            b = e
        if b is decide:
            return is_or
        if a is (not decide) and b is (not decide):
            return not decide
        for v in (a, b):
            if isinstance(v, Unsupported):
                raise v
        for v in (a, b):
            if isinstance(v, CelError):
                raise v
        raise no_overload(name, a, b)
    return run


def _items(name: str, v: Any) -> list[Any]:
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return list(v)
    raise no_overload(name, v)


def _comprehension(name: str, target: Node, var: str, body: list[Node]) -> Node:
    if name in ("all", "exists"):
        pred = body[0]
        decide: bool = name == "exists"

        def fold(env: Env) -> bool:
            error: Exception | None = None
            for item in _items(name, target(env)):
                inner = dict(env)
                inner[var] = item
                try:
                    r = pred(inner)
                except (CelError, Unsupported) as e:
                    if error is None or isinstance(e, Unsupported) and not isinstance(error, Unsupported):
                        error = e
                    continue
                if r is decide:
                    return bool(decide)
                if r is not (not decide):
                    if error is None:
                        error = no_overload("_&&_" if not decide else "_||_", r)
            if error is not None:
                raise error
            return not decide
        return fold
    if name == "exists_one":
        pred = body[0]

        def one(env: Env) -> bool:
            count = 0
            for item in _items(name, target(env)):
                inner = dict(env)
                inner[var] = item
                r = pred(inner)
                if r is True:
                    count += 1
                elif r is not False:
                    raise no_overload("_?_:_", r)
            return count == 1
        return one
    if name == "filter":
        pred = body[0]

        def keep(env: Env) -> list[Any]:
            out = []
            for item in _items(name, target(env)):
                inner = dict(env)
                inner[var] = item
                r = pred(inner)
                if r is True:
                    out.append(item)
                elif r is not False:
                    raise no_overload("_?_:_", r)
            return out
        return keep
    # map(x, t) and map(x, p, t)
    pred_opt, transform = (body[0], body[1]) if len(body) == 2 else (None, body[0])

    def transform_all(env: Env) -> list[Any]:
        out = []
        for item in _items(name, target(env)):
            inner = dict(env)
            inner[var] = item
            if pred_opt is not None:
                r = pred_opt(inner)
                if r is False:
                    continue
                if r is not True:
                    raise no_overload("_?_:_", r)
            out.append(transform(inner))
        return out
    return transform_all


def select(v: Any, name: str) -> Any:
    """v.name: a map key or object field; an optional receiver keeps the chain optional."""
    if isinstance(v, dict):
        if name in v:
            return cellib.read_field(v[name])
        raise CelError(f"no such key: {name}")
    if isinstance(v, Optional):
        return select_optional(v, name)
    raise CelError(f"type '{type_name(v)}' does not support field selection")


def select_optional(v: Any, name: str) -> Optional:
    """v.?name: optional.of(v.name) when present, else optional.none()."""
    if isinstance(v, Optional):
        if not v.present:
            return NONE
        v = v.value
    if isinstance(v, dict):
        return Optional(True, cellib.read_field(v[name])) if name in v else NONE
    raise CelError(f"type '{type_name(v)}' does not support field selection")


def index(v: Any, key: Any) -> Any:
    """v[key]: list element or map value."""
    if isinstance(v, Optional):
        return index_optional(v, key)
    if isinstance(v, list):
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if isinstance(key, bool) or not isinstance(key, int):
            raise no_overload("_[_]", v, key)
        if not 0 <= key < len(v):
            raise CelError(f"index out of range: {int(key)}")
        return cellib.read_field(v[key])
    if isinstance(v, dict):
        found, value = map_lookup(v, key)
        if not found:
            raise CelError(f"no such key: {key}")
        return cellib.read_field(value)
    raise no_overload("_[_]", v, key)


def index_optional(v: Any, key: Any) -> Optional:
    """v[?key]: optional.of(v[key]) when the index or key exists, else optional.none()."""
    if isinstance(v, Optional):
        if not v.present:
            return NONE
        v = v.value
    if isinstance(v, list):
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(v):
            return NONE
        return Optional(True, cellib.read_field(v[key]))
    if isinstance(v, dict):
        found, value = map_lookup(v, key)
        return Optional(True, cellib.read_field(value)) if found else NONE
    raise no_overload("_[?_]", v, key)
