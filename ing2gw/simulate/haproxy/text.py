"""How HAProxy reads the strings the controller writes into its configuration.

* `config_words`: a configuration line is split into words; double quotes, single quotes and
  backslash escapes are removed (HAProxy `parse_line`). The controller quotes request and
  response header values (`EnsureQuoted`), so `"no-store,no-cache"` reaches the header without
  its quotes.
* `log_format`: header values, redirect targets and rewrite formats are log-format strings:
  `%%` is a percent sign and `%[...]` a sample expression evaluated per request. Only literal
  text (and the CORS origin variable) is modelled.
* `replace_path`: `http-request replace-path <regex> <fmt>` searches the regex in the path
  (not anchored) and, when it matches, replaces the whole path by the format with `\\1`..`\\9`
  (HAProxy `exp_replace`); the query string is kept (haproxy-semantics.md H-G5).
* `req_hdr`: the `req.hdr(<name>)` sample: the last value, values split at commas.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

_ESCAPES = {"r": "\r", "n": "\n", "t": "\t"}
#: PCRE named groups `(?<name>` are written `(?P<name>` in Python
_PCRE_NAMED = re.compile(r"\(\?<(?=[A-Za-z_])")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class ConfigSyntax(ValueError):
    """A value HAProxy would refuse when it parses the configuration."""


def ascii_lower(text: str) -> str:
    """HAProxy's `lower` converter: ASCII letters only."""
    return text.translate(_ASCII_LOWER)


def config_words(text: str) -> tuple[list[str], bool]:
    """Split like HAProxy's configuration parser. Returns the words and whether an environment
    variable (`"$NAME"` inside double quotes) would be expanded (not modelled)."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    quote = ""
    env = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                cur.append(ch)
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in " \\#'\"$":
                cur.append(nxt)
                i += 2
            elif nxt in _ESCAPES:
                cur.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "x" and i + 3 < n and all(c in "0123456789abcdefABCDEF" for c in text[i + 2:i + 4]):
                cur.append(chr(int(text[i + 2:i + 4], 16)))
                i += 4
            else:
                cur.append(ch)  # unknown escapes are kept as written (\1 stays \1)
                i += 1
            in_word = True
            continue
        if quote == '"':
            if ch == '"':
                quote = ""
            else:
                if ch == "$" and i + 1 < n and (text[i + 1] == "{" or text[i + 1].isalpha() or text[i + 1] == "_"):
                    env = True
                cur.append(ch)
            i += 1
            continue
        if ch in "\"'":
            quote = ch
            in_word = True
            i += 1
            continue
        if ch in " \t":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
            continue
        if ch == "#":
            break
        cur.append(ch)
        in_word = True
        i += 1
    if quote:
        raise ConfigSyntax(f"unmatched quote in {text!r}")
    if in_word:
        words.append("".join(cur))
    return words, env


def config_word(text: str) -> tuple[str, bool]:
    """The single word `text` is read as (see `config_words`). Raises ConfigSyntax when HAProxy
    would see no word or several (it would refuse the rule)."""
    words, env = config_words(text)
    if len(words) != 1:
        raise ConfigSyntax(f"{text!r} is {len(words)} words for HAProxy, not one")
    return words[0], env


def log_format(fmt: str, variables: dict[str, str] | None = None) -> tuple[str, bool]:
    """Evaluate a log-format string. Returns the text and whether it had expressions that are
    not modelled (kept literally). `%[var(<name>)]` is looked up in `variables`."""
    if "%" not in fmt:
        return fmt, True
    out: list[str] = []
    exact = True
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if fmt.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        if fmt.startswith("%[", i):
            end = fmt.find("]", i)
            expr = fmt[i + 2:end] if end != -1 else ""
            m = re.fullmatch(r"var\(([\w.]+)\)", expr)
            if end != -1 and m and variables is not None and m.group(1) in variables:
                out.append(variables[m.group(1)])
                i = end + 1
                continue
        exact = False
        out.append(ch)
        i += 1
    return "".join(out), exact


@lru_cache(maxsize=512)
def compile_pcre(pattern: str) -> re.Pattern[str]:
    """A PCRE pattern as a Python regex (named groups translated). Raises re.error."""
    return re.compile(_PCRE_NAMED.sub("(?P<", pattern))


def exp_replace(fmt: str, match: re.Match[str]) -> str:
    """HAProxy `exp_replace`: `\\N` is group N (empty when it did not take part), `\\xHH` a byte,
    a backslash before any other character is dropped."""
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = fmt[i + 1]
        if nxt.isdigit():
            num = int(nxt)
            group = match.group(num) if num <= (match.re.groups or 0) else None
            out.append(group or "")
            i += 2
        elif nxt == "x" and i + 3 < n:
            try:
                out.append(chr(int(fmt[i + 2:i + 4], 16)))
            except ValueError:
                out.append(fmt[i + 2:i + 4])
            i += 4
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def replace_path(path: str, regex: re.Pattern[str], fmt: str) -> str:
    """`replace-path`: the whole path becomes `fmt` (with back-references) when `regex` is found
    anywhere in it; otherwise it is unchanged."""
    m = regex.search(path)
    if m is None:
        return path
    return exp_replace(fmt, m)


def req_hdr(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The `req.hdr(<name>)` sample fetch: the last comma-separated value of the header (values
    trimmed), or None when the request has no such header."""
    want = name.lower()
    last: str | None = None
    for k, v in headers:
        if k.lower() == want:
            last = v
    if last is None:
        return None
    return last.rsplit(",", 1)[-1].strip()
