"""Survey and budget results as words and bars, shared by the results screen and `buurt
results`. A count the server hides to protect a small neighbourhood stays "< 5" here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console import formats
from console.i18n import N_, _

if TYPE_CHECKING:  # the models (pydantic) are not imported by `buurt --help`
    from console.api.models import QuestionResult, Results, Shown

EIGHTHS = " ▏▎▍▌▋▊▉"
KIND_LABELS = {
    "single": N_("one choice"),
    "multiple": N_("several choices"),
    "scale": N_("scale 1 to 5"),
    "open": N_("open question"),
}


def count(value: Shown) -> str:
    """A count as shown to people: grouped digits, "< 5", or held back ("hidden")."""
    if isinstance(value, int):
        return formats.number(value)
    return _("hidden") if value == "hidden" else str(value)


def bar(share: float | None, width: int) -> str:
    """A horizontal bar `width` cells long at most, in eighths of a cell."""
    if share is None or width <= 0:
        return ""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def in_language(texts: dict[str, str], languages: list[str]) -> str:
    """A text in the first of `languages` it has, else in any."""
    for language in languages:
        if texts.get(language):
            return texts[language]
    return next(iter(texts.values()), "")


def kind_label(question: QuestionResult) -> str:
    label = _(KIND_LABELS.get(question.type, question.type))
    if question.type == "multiple" and question.max_choices:
        label += " · " + _("at most {n}").format(n=question.max_choices)
    return label


def headline(results: Results) -> str:
    """How many took part, against how many were reached."""
    what = {
        "survey": _("{n} responses"),
        "citizen_budget": _("{n} households voted"),
        "call_for_ideas": _("{n} ideas"),
    }.get(results.kind, "{n}")
    text = what.format(n=count(results.count))
    if results.rate is not None and results.households_reached:
        text += "  " + _("({rate} of {reached} households reached)").format(
            rate=formats.percent(results.rate), reached=formats.number(results.households_reached)
        )
    return text


def state_line(results: Results) -> str:
    if results.closed_at:
        return _("Closed early on {when}").format(when=formats.day_and_time(results.closed_at))
    if results.open:
        return _("Open until {when}").format(when=formats.day_and_time(results.closes_at))
    return _("Closed on {when}").format(when=formats.day_and_time(results.closes_at))


def lines(
    results: Results,
    languages: list[str],
    width: int = 30,
    category_names: dict[str, str] | None = None,
) -> list[str]:
    """The whole result as plain lines (the CLI's output)."""
    names = category_names or {}
    out = [
        f"#{results.message_id}  {in_language(results.title, languages)}",
        state_line(results),
        headline(results),
        "",
    ]
    for q in results.questions:
        out.append(f"{q.index + 1}. {in_language(q.question, languages)}  ({kind_label(q)})")
        if q.type == "open":
            out.append("   " + _("{n} answered (see `buurt answers`)").format(n=count(q.answered)))
        for c in q.choices:
            label = in_language(c.label, languages)
            share = formats.percent(c.share) if c.share is not None else ""
            out.append(
                f"   {label[:28]:<28} {bar(c.share, width):<{width}} {count(c.count):>7} {share}"
            )
        if q.average is not None:
            out.append("   " + _("average {value}").format(value=formats.decimal(q.average)))
        out.append("")
    if results.kind == "citizen_budget":
        out.append(
            _("Budget {budget}; the winning set costs {cost}").format(
                budget=euros(results.budget_eur), cost=euros(results.winning_cost_eur)
            )
        )
        for p in results.proposals:
            mark = "★" if p.winning else " "
            out.append(
                f" {mark} {p.rank:>2}. {p.title[:34]:<34} {euros(p.cost_eur):>12} "
                f"{count(p.votes):>7} " + _("votes")
            )
        if results.method:
            out.append(_("Method: {method}").format(method=results.method))
        out.append("")
    if results.ideas_by_category:
        # Most first; the held-back ones last.
        ordered = sorted(
            results.ideas_by_category.items(),
            key=lambda kv: -kv[1] if isinstance(kv[1], int) else 1,
        )
        for code, ideas in ordered:
            out.append(f"   {names.get(code, code)[:28]:<28} {count(ideas):>7}")
        out.append("")
    out.append(_("Per neighbourhood"))
    for hood in results.neighbourhoods:
        rate = formats.percent(hood.rate) if hood.rate is not None else ""
        out.append(f"   {hood.name[:28]:<28} {count(hood.count):>7} {rate}")
    return out


def euros(value: int | None) -> str:
    """An amount in whole euros: € 50.000."""
    return "€ " + formats.number(value)
