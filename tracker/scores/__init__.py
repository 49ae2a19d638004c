"""Assessment scores (考核评分): the per-year rubric, the registry of automatic rules, scores per
unit and period with every deduction linked to its record, manual items, voids, objections (申辩),
publication, ranking and trends (scoring.md; domain.md §5)."""
