"""Go regular expressions (RE2 syntax) evaluated with Python's `re`.

Traefik compiles every regex of a rule or a middleware with Go's `regexp`: unanchored
`MatchString`, leftmost-first alternation, ASCII `\\d \\w \\s \\b`, `$` only at the end of the
text, and `$1`/`${name}` templates expanded by `Regexp.Expand`. Python's `re` shares the
matching model but not all the syntax, so a Go pattern is translated first:

* accepted the same way: literals, classes, groups, `(?P<n>...)`, `(?:...)`, `(?i)`-style flags,
  repetitions, `\\A \\b \\B \\d \\D \\s \\S \\w \\W`, escapes of punctuation;
* rewritten: `(?<n>...)` (a named group in Go, a look-behind in Python) to `(?P<n>...)`, `\\z`
  to `\\Z`, `$` to `\\Z` (without the `m` flag), `\\Q...\\E` to an escaped literal, `\\x{HH}` to
  `\\xHH`, POSIX classes `[[:alpha:]]` to ranges, a flag group in the middle of a pattern
  (`a(?i)b`) to a scoped group, `x{,n}` (a literal in Go) to `x\\{,n\\}`;
* refused as Go refuses them (GoRegexError, `invalid`): look-arounds, back-references,
  possessive repetitions, repetition counts above 1000, unbalanced parentheses;
* refused because Python cannot reproduce them (GoRegexError, `unsupported`): Unicode classes
  `\\pL`, the `U` (ungreedy) flag, `\\C`, octal escapes.

`replace_all` and `expand` follow `Regexp.ReplaceAllString` and `Regexp.Expand`, which differ
from `re.sub` (empty matches next to a previous match, `$1x` naming group "1x").
"""

from __future__ import annotations

import re
from functools import lru_cache

_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")


class GoRegexError(ValueError):
    """A pattern Go's regexp rejects (`kind` "invalid") or Python cannot reproduce ("unsupported")."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def _class(p: str, i: int) -> tuple[str, int]:
    """Translate a character class starting at p[i] == '['; returns (text, index after ']')."""
    out = ["["]
    i += 1
    if i < len(p) and p[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(p):
        c = p[i]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        first = False
        if c == "[" and p.startswith("[:", i):
            end = p.find(":]", i + 2)
            if end < 0:
                raise GoRegexError(f"missing closing ] in {p!r}")
            name = p[i + 2:end]
            if name.startswith("^"):
                raise GoRegexError(f"negated POSIX class [:{name}:] is not supported", "unsupported")
            if name not in _POSIX:
                raise GoRegexError(f"invalid character class range [:{name}:]")
            out.append(_POSIX[name])
            i = end + 2
            continue
        if c == "\\":
            if i + 1 >= len(p):
                raise GoRegexError("trailing backslash at end of expression")
            n = p[i + 1]
            if n in "pP":
                raise GoRegexError("Unicode classes (\\p) are not supported", "unsupported")
            if n == "x" and p.startswith("{", i + 2):
                end = p.find("}", i + 3)
                if end < 0:
                    raise GoRegexError(f"invalid escape sequence in {p!r}")
                out.append(_hex_escape(p[i + 3:end]))
                i = end + 1
                continue
            if n.isdigit():
                raise GoRegexError(f"invalid escape sequence \\{n}", "unsupported" if n == "0" else "invalid")
            out.append(p[i:i + 2])
            i += 2
            continue
        if c == "[":
            out.append("\\[")  # literal in Go; Python warns about nested sets
            i += 1
            continue
        if c in "&~|-" and out and out[-1] == c:
            out.append("\\" + c)  # Python reserves &&, ~~, ||, -- in classes
            i += 1
            continue
        out.append(c)
        i += 1
    raise GoRegexError(f"missing closing ] in {p!r}")


def _hex_escape(digits: str) -> str:
    try:
        value = int(digits, 16)
    except ValueError:
        raise GoRegexError(f"invalid escape sequence \\x{{{digits}}}") from None
    if value > 0x10FFFF:
        raise GoRegexError(f"invalid escape sequence \\x{{{digits}}}")
    return f"\\U{value:08x}"


def translate(p: str) -> str:
    """The Python pattern for Go pattern `p` (GoRegexError when none is faithful)."""
    out: list[str] = []
    # per open group: does a mid-pattern flag group need closing here?
    closers: list[int] = [0]
    multiline = False
    i, n = 0, len(p)
    at_start = True
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise GoRegexError("trailing backslash at end of expression")
            e = p[i + 1]
            if e == "z":
                out.append("\\Z")
            elif e == "Q":
                end = p.find("\\E", i + 2)
                lit = p[i + 2:] if end < 0 else p[i + 2:end]
                out.append(re.escape(lit))
                i = n if end < 0 else end + 2
                at_start = False
                continue
            elif e in "pP":
                raise GoRegexError("Unicode classes (\\p) are not supported", "unsupported")
            elif e == "C":
                raise GoRegexError("\\C is not supported", "unsupported")
            elif e.isdigit():
                raise GoRegexError(f"invalid escape sequence \\{e}", "unsupported" if e == "0" else "invalid")
            elif e == "x" and p.startswith("{", i + 2):
                end = p.find("}", i + 3)
                if end < 0:
                    raise GoRegexError(f"invalid escape sequence in {p!r}")
                out.append(_hex_escape(p[i + 3:end]))
                i = end + 1
                at_start = False
                continue
            elif e == "Z":
                raise GoRegexError("invalid escape sequence \\Z")
            else:
                out.append(p[i:i + 2])
            i += 2
            at_start = False
            continue
        elif c == "[":
            text, i = _class(p, i)
            out.append(text)
            at_start = False
            continue
        elif c == "(":
            if p.startswith("(?", i):
                if p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
                    raise GoRegexError("look-around assertions are not supported by Go's regexp")
                if p.startswith("(?P<", i) or p.startswith("(?<", i):
                    start = i + (4 if p.startswith("(?P<", i) else 3)
                    end = p.find(">", start)
                    if end < 0:
                        raise GoRegexError(f"invalid named capture in {p!r}")
                    name = p[start:end]
                    if not name or not name.isidentifier():
                        raise GoRegexError(f"invalid named capture {name!r}",
                                           "invalid" if not name or not all(ch.isalnum() or ch == "_" for ch in name)
                                           else "unsupported")
                    out.append(f"(?P<{name}>")
                    closers.append(0)
                    i = end + 1
                    at_start = False
                    continue
                m = re.match(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])", p[i:])
                if not m:
                    raise GoRegexError(f"invalid or unsupported Perl syntax in {p!r}")
                on, off, kind = m.group(1), m.group(2) or "", m.group(3)
                if "U" in on + off:
                    raise GoRegexError("the U (ungreedy) flag is not supported", "unsupported")
                if "m" in on:
                    multiline = True
                flags = on + (f"-{off}" if off else "")
                if kind == ":":
                    out.append(f"(?{flags}:")
                    closers.append(0)
                elif at_start and not off:
                    out.append(f"(?{on})" if on else "")
                else:
                    # a flag group in the middle applies to the rest of the enclosing group
                    out.append(f"(?{flags}:" if flags else "(?:")
                    closers[-1] += 1
                i += m.end()
                continue
            out.append("(")
            closers.append(0)
        elif c == ")":
            if len(closers) == 1:
                raise GoRegexError(f"unexpected ) in {p!r}")
            out.append(")" * closers.pop())
            out.append(")")
        elif c == "$":
            out.append("$" if multiline else "\\Z")
        elif c == "{":
            m = _REPEAT.match(p, i)
            if m and m.group(1) == "" and m.group(2):
                out.append("\\{" + p[i + 1:m.end() - 1] + "\\}")  # {,n} is a literal in Go
                i = m.end()
                at_start = False
                continue
            if m and m.group(1):
                for num in (m.group(1), m.group(3)):
                    if num and int(num) > 1000:
                        raise GoRegexError(f"invalid repeat count in {p!r}")
                out.append(m.group(0))
                i = m.end()
                if i < n and p[i] == "+":
                    raise GoRegexError("invalid nested repetition operator")
                at_start = False
                continue
            out.append("\\{")
        elif c in "*+?":
            out.append(c)
            if i + 1 < n and p[i + 1] == "+":
                raise GoRegexError("invalid nested repetition operator")
        else:
            out.append(c)
        i += 1
        at_start = False
    if len(closers) != 1:
        raise GoRegexError(f"missing closing ) in {p!r}")
    out.append(")" * closers[0])
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile a Go pattern (GoRegexError when Go would refuse it or Python cannot match it alike)."""
    py = translate(pattern)
    try:
        return re.compile(py, re.ASCII)
    except re.error as exc:
        raise GoRegexError(f"error parsing regexp: {exc.msg} in {pattern!r}") from None


def _extract(t: str) -> tuple[str, int, str] | None:
    """regexp `extract`: the name after a '$' ("${name}" or the longest [A-Za-z0-9_] run),
    its number (-1 when not a number or with a leading zero) and the rest of the template."""
    if not t:
        return None
    brace = t[0] == "{"
    s = t[1:] if brace else t
    i = 0
    while i < len(s) and (s[i].isalnum() or s[i] == "_"):
        i += 1
    if i == 0:
        return None
    name = s[:i]
    if brace:
        if i >= len(s) or s[i] != "}":
            return None
        i += 1
    num = int(name) if name.isdigit() and len(name) < 9 and not (name[0] == "0" and len(name) > 1) else -1
    return name, num, s[i:]


def expand(template: str, m: re.Match[str]) -> str:
    """regexp `Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to ''."""
    out: list[str] = []
    t = template
    names = m.re.groupindex
    while True:
        before, sep, after = t.partition("$")
        out.append(before)
        if not sep:
            break
        t = after
        if t.startswith("$"):
            out.append("$")
            t = t[1:]
            continue
        ex = _extract(t)
        if ex is None:
            out.append("$")
            continue
        name, num, t = ex
        if num >= 0:
            if num <= m.re.groups and m.group(num) is not None:
                out.append(m.group(num))
        elif name in names and m.group(name) is not None:
            out.append(m.group(name))
    return "".join(out)


def replace_all(rx: re.Pattern[str], src: str, template: str) -> str:
    """regexp `ReplaceAllString`: every non-overlapping match replaced by the expanded template;
    an empty match right after the previous match is skipped, as Go does."""
    out: list[str] = []
    last = 0
    pos = 0
    prev_end = -1
    n = len(src)
    while pos <= n:
        m = rx.search(src, pos)
        if m is None:
            break
        a, b = m.span()
        if a == b and a == prev_end:
            pos = a + 1
            continue
        out.append(src[last:a])
        out.append(expand(template, m))
        last = prev_end = b
        pos = b if b > a else b + 1
    out.append(src[last:])
    return "".join(out)
