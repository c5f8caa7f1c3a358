"""Offline provider: no LLM; a template answer from retrieved passages, calculators and the user's own data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nivesh_ml.advisor.providers.base import AdviceRequest, Deadline, Provider, ProviderReply, ToolCall
from nivesh_ml.advisor.retrieval import Passage
from nivesh_ml.formatting import indian_grouping

TEMPLATE_NOTE_PREFIX = "This is a template answer (offline mode: no AI language model was used), assembled from"
NOT_COVERED = ("I don't have a reliable answer to that in my guides, so I won't guess. Please check the official "
               "source for the topic (the Income Tax Department, RBI, SEBI, PFRDA, India Post/NSI or your bank) or a "
               "SEBI-registered adviser. I can help with saving schemes (PPF, SSY, SCSS, NPS, EPF), tax deductions "
               "and regimes, capital gains, loans and EMIs, SIPs, insurance, credit scores, complaints and fraud.")

MISSING_INPUTS = {
    "emi": "the loan amount, interest rate and tenure",
    "fd_maturity": "the deposit amount, the interest rate and the number of years",
    "loan_affordability": "your monthly income (and any existing EMIs)",
    "sip_future_value": "the monthly amount, the number of years and an assumed return",
    "lumpsum_future_value": "the amount, the number of years and an assumed return",
    "ppf_maturity": "how much you plan to deposit each year",
    "compare_tax_regimes": "your yearly gross income and deductions (80C, 80D, HRA, home-loan interest)",
    "retirement_corpus": "your monthly expenses and current age",
    "emergency_fund": "your essential monthly expenses",
}


def inr(amount: float) -> str:
    """Rupees the Indian way: ₹26,035; ₹11.62 lakh; ₹1.25 crore."""
    value = float(amount)
    if abs(value) >= 1e7:
        return f"₹{value / 1e7:,.2f} crore"
    if abs(value) >= 1e5:
        return f"₹{value / 1e5:,.2f} lakh"
    return "₹" + indian_grouping(value)


def _pct(value: Any) -> str:
    return f"{float(value):g}%"


def _describe_tax(a: dict[str, Any], r: dict[str, Any]) -> str:
    old, new = r["old"], r["new"]
    return (f"On a gross income of {inr(a['gross_income'])} for FY 2025-26: new regime tax {inr(new['tax'])} "
            f"(taxable {inr(new['taxable_income'])}), old regime tax {inr(old['tax'])} (taxable "
            f"{inr(old['taxable_income'])} after {inr(old['deductions'])} of deductions). The **{r['better']} "
            f"regime** is lower by {inr(r['saving'])} (tax includes the 87A rebate and 4% cess).")


DESCRIBE: dict[str, Callable[[dict[str, Any], dict[str, Any]], str]] = {
    "fd_maturity": lambda a, r: (
        f"A fixed deposit of {inr(a['principal'])} at {_pct(a['annual_rate_pct'])} for {a['years']:g} years, "
        f"compounded quarterly, matures at about **{inr(r['maturity_value'])}** ({inr(r['interest'])} of interest, "
        f"taxable at your slab rate; banks deduct 10% TDS above the yearly threshold)."),
    "emi": lambda a, r: (f"EMI for a loan of {inr(a['principal'])} at {_pct(a['annual_rate_pct'])} for "
                         f"{a['years']:g} years: **{inr(r['emi'])} a month**; total interest {inr(r['total_interest'])}"
                         f" over {r['months']} months."),
    "loan_affordability": lambda a, r: (
        f"With a monthly income of {inr(a['monthly_income'])} and a FOIR limit of {_pct(r['foir_pct'])}, all your "
        f"EMIs should stay within {inr(r['max_emi'])} a month; at {_pct(a['annual_rate_pct'])} for {a['years']:g} "
        f"years that supports a loan of about **{inr(r['max_loan'])}**."),
    "sip_future_value": lambda a, r: (
        f"A SIP of {inr(a['monthly_investment'])} a month for {a['years']:g} years at an assumed "
        f"{_pct(a['annual_return_pct'])} a year could grow to about **{inr(r['future_value'])}** (you invest "
        f"{inr(r['invested'])}). Market returns are not guaranteed; the rate is only an assumption."),
    "lumpsum_future_value": lambda a, r: (
        f"{inr(a['amount'])} invested once for {a['years']:g} years at an assumed {_pct(a['annual_return_pct'])} "
        f"a year could grow to about **{inr(r['future_value'])}**. The rate is an assumption, not a promise."),
    "ppf_maturity": lambda a, r: (
        f"Depositing {inr(a['yearly_deposit'])} by 5 April every year for {r['years']} years at "
        f"{_pct(r['rate_pct'])} gives about **{inr(r['maturity_value'])}** at maturity ({inr(r['interest'])} of "
        f"tax-free interest). PPF rates are reset every quarter, so the final amount can differ."),
    "compare_tax_regimes": _describe_tax,
    "retirement_corpus": lambda a, r: (
        f"To cover today's {inr(a['monthly_expenses'])} a month of expenses (growing with 6% inflation) from "
        f"retirement, you would need a corpus of about **{inr(r['corpus_needed'])}** in "
        f"{r['years_to_retirement']} years; a monthly SIP of about {inr(r['monthly_sip_needed'])} at an assumed "
        f"10% return would get you there."),
    "emergency_fund": lambda a, r: (
        f"With essential expenses of {inr(a['monthly_expenses'])} a month, aim for an emergency fund of "
        f"**{inr(r['target'])}** ({r['months']} months); still to build: {inr(r['shortfall'])}."),
}


def describe_calculation(call: ToolCall) -> str:
    """One readable sentence for a calculator result."""
    if "error" in call.result:
        return f"I could not run the {call.name.replace('_', ' ')} calculator: {call.result['error']}."
    describe = DESCRIBE.get(call.name)
    return describe(call.arguments, call.result) if describe else str(call.result)


def describe_spending(spending: dict[str, float]) -> str:
    """The user's average monthly spending by category, biggest first."""
    top = sorted(spending.items(), key=lambda item: -item[1])[:5]
    total = sum(spending.values())
    parts = ", ".join(f"{cat} {inr(amount)}" for cat, amount in top)
    return f"Over your last 3 months you spent about {inr(total)} a month on average; the biggest items: {parts}."


def short_authority(authority: str) -> str:
    """The first named source of a document's authority line."""
    return authority.split(";")[0].strip()


def cite(passage: Passage) -> str:
    """A passage's as-of date and source, in brackets."""
    return f"(as of {passage.as_of}; source: {short_authority(passage.authority)})"


def compose_answer(passages: list[Passage]) -> list[str]:
    """The answering sentence first (with its as-of date and source), then up to two supporting points."""
    if not passages:
        return [NOT_COVERED]
    best, *rest = passages
    sections = [f"{best.text} {cite(best)}"]
    support = [p for p in rest if p.text != best.text][:2]
    if support:
        sections.append("**Also worth knowing**\n" + "\n".join(f"- {p.text} ({p.title})" for p in support))
    return sections


class OfflineProvider(Provider):
    """Composes a clear, grounded template answer without any model call."""

    name = "offline"
    model = "template-v1"

    def generate(self, request: AdviceRequest, deadline: Deadline | None = None) -> ProviderReply:
        used = ["our knowledge base"]
        sections: list[str] = []
        if request.calculation is not None:  # the question carried the numbers: the calculation answers it
            used.append("the calculators")
            sections.append(describe_calculation(request.calculation))
            sections.extend(compose_answer(request.passages)[1:] if request.passages else [])
        else:
            sections.extend(compose_answer(request.passages))
            if request.topic in MISSING_INPUTS:
                sections.append(f"If you tell me {MISSING_INPUTS[request.topic]}, I can work out the numbers "
                                "for you.")
        if request.spending:
            used.append("your own transactions")
            sections.append("**Your recent spending**\n" + describe_spending(request.spending))
        titles = list(dict.fromkeys(f"{p.title} (as of {p.as_of})" for p in request.passages))
        if titles:
            sections.append("**Sources:** " + "; ".join(titles))
        sources = ", ".join(used[:-1]) + " and " + used[-1] if len(used) > 1 else used[0]
        sections.append(f"_{TEMPLATE_NOTE_PREFIX} {sources}._")
        text = "\n\n".join(sections)
        calls = [request.calculation] if request.calculation is not None else []
        return ProviderReply(text=text, provider=self.name, model=self.model, tool_calls=calls)
