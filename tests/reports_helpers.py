"""Annual reports in tests: the drafts' placeholders (【请补充…】) written over, as a unit does before
handing its report on (a report still holding one is refused every step)."""
from tracker.reports.narrative import NARRATIVE, PLACEHOLDER

OWN_WORDS = "本单位按要求落实，有关情况已逐项说明"


def write_own_words(report) -> None:
    """Replace every placeholder of ``report``'s narrative with the unit's own (short) words."""
    for k in NARRATIVE:
        setattr(report, k, PLACEHOLDER.sub(OWN_WORDS, getattr(report, k) or ""))
