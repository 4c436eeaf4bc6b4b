"""Text rendering of an equivalence-check result (a table of differences grouped by cause)."""

from __future__ import annotations


from ing2gw.findings import codes
from ing2gw.simulate.request import Answer
from ing2gw.verify import VerifyResult


def _answer(a: Answer) -> str:
    if a.redirect is not None:
        return f"{a.redirect.status} -> {a.redirect.location}"
    if a.status == 0:
        return f"no response ({a.generated_by or 'connection failed'})"
    if a.backend is not None:
        s = f"{a.status} {a.backend}"
        if len(a.backends) > 1:
            s += " (" + ", ".join(f"{x.weight:.0%} {x.backend or x.status}" for x in a.backends) + ")"
        if a.upstream_path is not None:
            s += f" path {a.upstream_path}"
        return s
    return f"{a.status}" + (f" ({a.generated_by})" if a.generated_by else "")


def render_text(v: VerifyResult, examples: int = 3) -> str:
    head = (f"equivalence check: {v.probes} probes, {v.equivalent} equivalent, {v.explained} explained, "
            f"{v.unexplained} unexplained")
    if v.unverified:
        head += f", {v.unverified} unverified"
    lines = [head]
    known = codes()
    for key, count, recs in v.causes():
        if key == ("UNEXPLAINED",):
            title = "UNEXPLAINED: no finding predicts these (a translator bug or a missing finding)"
        elif key == ("UNVERIFIED",):
            title = "unverified: a simulator does not model what these depend on"
        else:
            title = "explained by " + ", ".join(f"{c} ({known[c].title})" if c in known else c for c in key)
        lines.append("")
        lines.append(f"{count:>5}  {title}")
        for r in recs[:examples]:
            lines.append(f"         {r.request.describe()}")
            lines.append(f"             old: {_answer(r.old)}")
            lines.append(f"             new: {_answer(r.new)}")
            fields = ", ".join(d.field for d in r.differences)
            lines.append(f"             differs in: {fields}")
            if r.unverified:
                lines.append(f"             unmodelled: {'; '.join((r.old.unmodelled + r.new.unmodelled)[:2])}")
        if count > examples:
            lines.append(f"         ... and {count - min(examples, len(recs))} more")
    return "\n".join(lines) + "\n"
