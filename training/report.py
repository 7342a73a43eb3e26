"""The benchmark report: `docs/report.md` and its plots, rebuilt from the stored result records.

`build_report(results, out)` reads every record of `training.results_store` and writes one
Markdown page with these sections, each from the records of one kind:

    speed          "speed" records (`go-engine bench board|search|nn|rollout --record NAME`)
    accuracy       "accuracy" records: every model's top-1 / top-5 move prediction on the
                   shared held-out positions of `training.baseline_data`, per board size
    strength       "strength" records (`go-engine bench record-match`, gtp.match_record):
                   win rates against GNU Go with 95% intervals, a table and a ladder plot
    data scale     "data_scale" records (`go-engine bench data-scale`): accuracy against the
                   number of training positions, one curve per model
    autoencoder    "autoencoder" records: reconstruction error against PCA, and their maps
    GAN            "gan" records: legality and statistics of generated positions
    other figures  every metric of every record, so nothing measured is left out

Plots a record names in its "plots" list (or, without one, `results/NAME*.png`) are shown where
the record is. Nothing is recomputed:
the report shows what the records hold, with the command and machine of each.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from go_engine.files import atomic_write
from training.results_store import RESULTS_DIR, read_results

REPORT = Path("docs/report.md")


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 100):
        return f"{int(x):,}"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return str(x)


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * float(x):.1f}%"


def _elo(x: Any) -> str:
    return "-" if x is None else f"{float(x):+.0f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _rel(path: str | os.PathLike, out: Path) -> str:
    return os.path.relpath(Path(path), out.parent).replace(os.sep, "/")


def _own_plots(record: dict, names: list[str], results: Path) -> list[str]:
    """results/NAME*.png, but not the plots of a record whose longer name starts the same way
    (lstm-9-long's plots are not lstm-9's)."""
    name = record["name"]
    others = [o for o in names if o != name and o.startswith(name)]
    return sorted(
        str(p)
        for p in results.glob(f"{name}*.png")
        if not any(p.stem.startswith(o) for o in others)
    )


def _plots(record: dict, results: Path, out: Path) -> list[str]:
    lines = []
    for p in record.get("plots", []):
        path = Path(p)
        if not path.is_absolute() and not path.exists():
            path = results / path.name
        lines.append(f"![{record['name']}: {path.stem}]({_rel(path, out)})")
    return lines


def _sources(records: list[dict]) -> list[str]:
    lines = []
    for r in records:
        lines.append(f"- `{r['name']}` ({r.get('date', '?')}, {r.get('machine', '?')}):")
        lines.append(f"  `{r.get('command', '?')}`")
    return lines


def _speed(records: list[dict], results: Path, out: Path) -> list[str]:
    lines = ["## Speed", ""]
    if not records:
        return lines + ["No speed records yet (`go-engine bench board --record board`).", ""]
    for r in records:
        lines += [f"### {r['model']} (`{r['name']}`)", ""]
        rows = [[k, _num(v)] for k, v in r["metrics"].items()]
        lines += _table(["figure", "value"], rows) + [""]
        lines += _plots(r, results, out)
    return lines + ["Commands:", ""] + _sources(records) + [""]


def _accuracy(records: list[dict], results: Path, out: Path) -> list[str]:
    lines = ["## Move prediction on the shared held-out positions", ""]
    if not records:
        return lines + ["No accuracy records yet.", ""]
    lines.append(
        "Every model is measured on the same held-out games (`training.baseline_data`: the "
        "project's CRC-32 split; all 9x9 validation games, the first 200 on 19x19), counting "
        "every position of those games."
    )
    lines.append("")
    by_size: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        by_size[r["board_size"]].append(r)
    for n in sorted(by_size):
        rows = []
        for r in sorted(by_size[n], key=lambda r: -(r["metrics"].get("top1") or 0.0)):
            m = r["metrics"]
            rows.append(
                [
                    r["model"],
                    _pct(m.get("top1")),
                    _pct(m.get("top5")),
                    _num(m.get("train_positions")),
                    _num(m.get("held_out_positions")),
                    _num(m.get("train_seconds")),
                ]
            )
        lines += [f"### {n}x{n}", ""]
        header = ["model", "top-1", "top-5", "training positions", "held-out positions", "train s"]
        lines += _table(header, rows) + [""]
        for r in by_size[n]:
            lines += _plots(r, results, out)
        lines.append("")
    return lines + ["Commands:", ""] + _sources(records) + [""]


def _strength(records: list[dict], out: Path) -> list[str]:
    lines = ["## Strength against GNU Go", ""]
    if not records:
        return lines + ["No match records yet (`go-engine bench record-match`).", ""]
    rows = []
    for r in sorted(records, key=lambda r: (r["board_size"], -(r["metrics"]["win_rate"] or 0))):
        m = r["metrics"]
        rows.append(
            [
                f"{r['board_size']}x{r['board_size']}",
                r["model"],
                r.get("opponent", "?"),
                _num(m["games"]),
                _num(m["wins"]),
                _pct(m["win_rate"]),
                f"{_pct(m['ci95_low'])}-{_pct(m['ci95_high'])}",
                _elo(m.get("elo")),
            ]
        )
    header = ["board", "player", "opponent", "games", "wins", "win rate", "95% interval", "Elo"]
    lines += _table(header, rows) + [""]
    plot = out.parent / "report_strength.png"
    _plot_strength(records, plot)
    lines += [f"![strength ladder]({_rel(plot, out)})", ""]
    return lines + ["Commands:", ""] + _sources(records) + [""]


def _plot_strength(records: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = sorted(records, key=lambda r: (r["board_size"], r["metrics"]["win_rate"] or 0))
    labels = [
        f"{r['model']} ({r['board_size']}x{r['board_size']}) vs {r.get('opponent', '?')}"
        for r in records
    ]
    rates = [100 * (r["metrics"]["win_rate"] or 0) for r in records]
    lo = [rates[i] - 100 * r["metrics"]["ci95_low"] for i, r in enumerate(records)]
    hi = [100 * r["metrics"]["ci95_high"] - rates[i] for i, r in enumerate(records)]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(records) + 1.2))
    ax.barh(range(len(records)), rates, xerr=[lo, hi], color="#4a7ab5", capsize=3)
    ax.set_yticks(range(len(records)), labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.axvline(50, color="grey", lw=0.8)
    ax.set_xlabel("win rate against GNU Go, % (95% interval)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _data_scale(records: list[dict], results: Path, out: Path) -> list[str]:
    lines = ["## Accuracy against the amount of training data", ""]
    if not records:
        return lines + ["No data-scale records yet (`go-engine bench data-scale`).", ""]
    for r in records:
        n = r["board_size"]
        lines += [f"### {n}x{n}", ""]
        sizes = sorted({p["train_positions"] for p in r["points"]})
        models = list(dict.fromkeys(p["model"] for p in r["points"]))
        top1 = {(p["model"], p["train_positions"]): p["top1"] for p in r["points"]}
        rows = [[m] + [_pct(top1.get((m, s))) for s in sizes] for m in models]
        lines += _table(["model \\ training positions"] + [_num(s) for s in sizes], rows)
        lines += [""] + _plots(r, results, out) + [""]
    return lines + ["Commands:", ""] + _sources(records) + [""]


def _family(title: str, records: list[dict], results: Path, out: Path) -> list[str]:
    lines = [f"## {title}", ""]
    if not records:
        return lines + ["No records yet.", ""]
    for r in records:
        lines += [f"### {r['model']} ({r['board_size']}x{r['board_size']}, `{r['name']}`)", ""]
        rows = [[k, _num(v)] for k, v in r["metrics"].items()]
        lines += _table(["figure", "value"], rows) + [""]
        if r.get("notes"):
            lines += [str(r["notes"]), ""]
        lines += _plots(r, results, out) + [""]
    return lines + ["Commands:", ""] + _sources(records) + [""]


def build_report(results: str | os.PathLike = RESULTS_DIR, out: str | os.PathLike = REPORT) -> Path:
    """Write the report from the records in `results`; returns its path."""
    results, out = Path(results), Path(out)
    records = read_results(results)
    names = [r["name"] for r in records]
    for r in records:
        if not r.get("plots"):
            r["plots"] = _own_plots(r, names, results)
    kinds: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        kinds[r["kind"]].append(r)
    lines = [
        "# go-engine benchmark report",
        "",
        f"Rebuilt by `go-engine bench report` from the {len(records)} records in "
        f"`{_rel(results, out)}/`; each section lists the commands that produced its figures.",
        "",
    ]
    lines += _speed(kinds.pop("speed", []), results, out)
    lines += _accuracy(kinds.pop("accuracy", []), results, out)
    lines += _strength(kinds.pop("strength", []), out)
    lines += _data_scale(kinds.pop("data_scale", []), results, out)
    lines += _family("Autoencoder against PCA", kinds.pop("autoencoder", []), results, out)
    lines += _family("GAN of board positions", kinds.pop("gan", []), results, out)
    for kind in sorted(kinds):
        lines += _family(f"Other records: {kind}", kinds[kind], results, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, "\n".join(lines).rstrip() + "\n")
    return out
