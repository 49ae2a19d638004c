"""Markdown tables from the JSON files of ``bench/run.py --json``, side by side.

    python bench/report.py sqlite-small.json sqlite-large.json pg-small.json pg-large.json > tables.md

Each file becomes a column group named after its database and scale ("sqlite small"...).
"""
from __future__ import annotations

import json
import sys


def _label(run: dict) -> str:
    return f"{'SQLite' if run['database'] == 'sqlite' else 'PostgreSQL'} {run['scale']['scale']}"


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def pages(runs: list[dict]) -> list[str]:
    keys = []
    for run in runs:
        for row in run.get("pages", []):
            if (row["role"], row["endpoint"]) not in keys:
                keys.append((row["role"], row["endpoint"]))
    index = [{(r["role"], r["endpoint"]): r for r in run.get("pages", [])} for run in runs]
    head = "| role | page | " + " | ".join(f"{_label(r)} p50 / p95 ms (cpu p50)" for r in runs) + \
        " | statements " + " / ".join(_label(r) for r in runs) + " |"
    lines = [head, "|" + "---|" * (len(runs) + 3)]
    for key in keys:
        cells = []
        for idx in index:
            row = idx.get(key)
            cells.append("–" if row is None else
                         f"{_ms(row['p50_ms'])} / {_ms(row['p95_ms'])} ({_ms(row.get('cpu_p50_ms'))})")
        stmts = " / ".join(str(idx[key]["statements"]) if key in idx else "–" for idx in index)
        lines.append(f"| {key[0]} | `{key[1]}` | " + " | ".join(cells) + f" | {stmts} |")
    return lines


def exports(runs: list[dict]) -> list[str]:
    names = []
    for run in runs:
        for row in run.get("exports", []):
            if row["endpoint"] not in names:
                names.append(row["endpoint"])
    lines = ["| export | " + " | ".join(f"{_label(r)}: s (cpu s), statements, MB" for r in runs) + " |",
             "|" + "---|" * (len(runs) + 1)]
    for name in names:
        cells = []
        for run in runs:
            row = next((r for r in run.get("exports", []) if r["endpoint"] == name), None)
            cells.append("–" if row is None else f"{row['seconds']:.2f} ({row.get('cpu_seconds', 0):.2f}), "
                         f"{row['statements']}, {row['bytes'] / 1e6:.1f}")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def sweeps(runs: list[dict]) -> list[str]:
    lines = ["| run | job | " + " | ".join(f"{_label(r)}: s (cpu s), statements" for r in runs) + " |",
             "|" + "---|" * (len(runs) + 2)]
    keys = []
    for run in runs:
        for row in run.get("sweep", []):
            if (row["run"], row["job"]) not in keys:
                keys.append((row["run"], row["job"]))
    for key in keys:
        cells = []
        for run in runs:
            row = next((r for r in run.get("sweep", []) if (r["run"], r["job"]) == key), None)
            if row is None:
                cells.append("–")
            elif row["statements"] is None:
                cells.append(f"**{row['seconds']:.2f}**")
            else:
                cells.append(f"{row['seconds']:.2f} ({row.get('cpu_seconds', 0):.2f}), {row['statements']:,}"
                             + (f", → {row['result']}" if row["result"] not in ("0", "") and len(row["result"]) < 12
                                else ""))
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    return lines


def open_tasks(runs: list[dict]) -> list[str]:
    lines = ["| what | " + " | ".join(f"{_label(r)}: s (cpu s), statements, opened" for r in runs) + " |",
             "|" + "---|" * (len(runs) + 1)]
    whats = [row["what"] for row in runs[0].get("open_tasks", [])] if runs else []
    for i, what in enumerate(whats):
        cells = []
        for run in runs:
            rows = run.get("open_tasks", [])
            row = rows[i] if i < len(rows) else None
            cells.append("–" if row is None else f"{row['seconds']:.2f} ({row.get('cpu_seconds', 0):.2f}), "
                         f"{row['statements']:,}, {row['opened']:,}")
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return lines


def throughput(runs: list[dict]) -> list[str]:
    lines = ["| run | tool | minimal page req/s (mean) | dashboard req/s (mean) | dashboard ÷ minimal "
             "(median of pairs) | pairs |", "|---|---|---|---|---|---|"]
    for run in runs:
        t = run.get("throughput")
        if not t:
            continue
        pairs = ", ".join(f"{100 * r:.1f} %" for r in t.get("pair_ratios", []))
        lines.append(f"| {_label(run)} | {t['tool']} | {t['mean_rps']['minimal']:.1f} | {t['mean_rps']['dashboard']:.1f}"
                     f" | **{100 * t['ratio']:.1f} %** | {pairs} |")
    return lines


def slowest(runs: list[dict], limit: int = 12) -> list[str]:
    lines = []
    for run in runs:
        slow = sorted((r for r in run.get("pages", []) if r.get("slowest")), key=lambda r: -r["p95_ms"])[:limit]
        if not slow:
            continue
        lines.append(f"**{_label(run)}**\n")
        for row in slow:
            lines.append(f"- {row['role']} `{row['endpoint']}` p95 {_ms(row['p95_ms'])} ms, SQL {_ms(row['sql_ms'])} ms:")
            for ms, sql in row["slowest"]:
                lines.append(f"  - {ms} ms `{sql[:220]}`")
        lines.append("")
    return lines


def main(paths: list[str]) -> None:
    runs = [json.load(open(p)) for p in paths]
    for title, fn in (("Pages", pages), ("Exports", exports), ("Opening tasks", open_tasks),
                      ("Daily sweep", sweeps), ("Throughput", throughput), ("Slowest statements", slowest)):
        print(f"### {title}\n")
        print("\n".join(fn(runs)))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
