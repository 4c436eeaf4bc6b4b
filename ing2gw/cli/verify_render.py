"""Text rendering of an equivalence-check result (a table of differences grouped by cause)."""

from __future__ import annotations


from ing2gw.findings import codes
from ing2gw.equivalence.check import VerifyResult, describe_answer


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
            lines.append(f"             old: {describe_answer(r.old)}")
            lines.append(f"             new: {describe_answer(r.new)}")
            fields = ", ".join(d.field for d in r.differences) or "nothing modelled (the old answer holds only for " \
                "the clients the controller's access settings let through)"
            lines.append(f"             differs in: {fields}")
            if r.unverified:
                lines.append(f"             unmodelled: {'; '.join((r.old.unmodelled + r.new.unmodelled)[:2])}")
        if count > examples:
            lines.append(f"         ... and {count - min(examples, len(recs))} more")
    return "\n".join(lines) + "\n"
