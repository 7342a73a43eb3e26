"""Stored results of the benchmark report: one small JSON file per measurement.

Every command that measures a model for the report (`go-engine train lstm`, `train classical`,
`bench data-scale`, ...) writes what it found to `RESULTS_DIR/NAME.json` (atomically), and
`go-engine bench report` rebuilds `docs/report.md` from these files alone, so the report can be
regenerated without retraining anything. A record is a JSON object with at least:

    name        the file's stem (e.g. "lstm-9")
    kind        what it measures: "accuracy" (move prediction on the held-out split),
                "autoencoder", "gan", "data_scale", "sequence", ...
    model       the model's name as the report shows it
    board_size  N
    metrics     {name: number}
    command     the command line that produced it
    machine     the CPU (and GPU) it ran on
    date        ISO date

plus whatever else the kind needs (a data-scale record has "points"). Plots that go with a
record are written next to it as NAME*.png.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

from go_engine.files import atomic_write

RESULTS_DIR = Path("docs/results")


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """The CPU model and core count (and the GPU when torch sees one)."""
    text = f"{cpu_name()}, {os.cpu_count()} cores"
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        text += f", {torch.cuda.get_device_name(0)}"
    return text


def command_line() -> str:
    """This process's command line, as `go-engine ...` when run through the entry point."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("go-engine", "__main__.py", "main.py"):
        argv[0] = "go-engine"
    return shlex.join(argv)


def write_result(
    name: str,
    kind: str,
    model: str,
    board_size: int,
    metrics: dict[str, float],
    folder: str | os.PathLike = RESULTS_DIR,
    **extra: Any,
) -> Path:
    """Store one measurement as `folder/name.json`; returns the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "kind": kind,
        "model": model,
        "board_size": int(board_size),
        "metrics": {k: (float(v) if v is not None else None) for k, v in metrics.items()},
        "command": extra.pop("command", None) or command_line(),
        "machine": extra.pop("machine", None) or machine(),
        "date": datetime.date.today().isoformat(),
        **extra,
    }
    path = folder / f"{name}.json"
    atomic_write(path, json.dumps(record, indent=1) + "\n")
    return path


def read_results(folder: str | os.PathLike = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every record in `folder`, sorted by name; a file that is not a record names itself."""
    records = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a result record ({e})") from e
        if not isinstance(record, dict) or "kind" not in record:
            raise ValueError(f"{path}: not a result record (no 'kind')")
        record.setdefault("name", path.stem)
        records.append(record)
    return records
