"""The benchmark report: in-memory network baselines, the data-scale run, stored records, and
the report rebuilt from them."""

from __future__ import annotations

import json

import pytest
import torch

from go_engine_cli.bench_report import flatten
from go_engine_cli.main import main
from gtp.match_record import match_record
from tests.game_fixtures import write_archive
from training.baseline_data import DataConfig, load_split
from training.data_scale import ScaleConfig, run_scale
from training.net_baseline import NetFitConfig, fit_net, score_net
from training.report import build_report
from training.results_store import read_results, write_result


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny networks: a second thread buys nothing and oversubscribes a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("d") / "g.tar.gz", games=40, moves=30)


def test_network_baseline_learns_the_patterned_games(archive):
    torch.manual_seed(0)
    split = load_split(DataConfig([str(archive)], 9, fraction=0.2))
    config = NetFitConfig(blocks=1, channels=16, min_steps=100, max_steps=100, lr=0.05)
    net, info = fit_net(split.train, config)
    figures = score_net(net, split.held_out)
    assert info["train_steps"] == 100
    assert figures["positions"] == len(split.held_out)
    # Most moves answer next to the last one; chance is about 1/60 on these boards.
    assert figures["top1"] > 0.25, figures


def test_cpu_time_budget_stops_training(archive):
    split = load_split(DataConfig([str(archive)], 9, fraction=0.2))
    _, info = fit_net(split.train, NetFitConfig(blocks=1, channels=8, cpu_seconds=0.5))
    assert 0 < info["train_steps"] < 3000 and info["train_cpu_seconds"] >= 0.5


def test_data_scale_records_points_and_resumes(archive, tmp_path):
    config = ScaleConfig(
        sources=[str(archive)],
        board_size=9,
        sizes=[60, 0],
        models=["small-net"],
        run=str(tmp_path / "run"),
        results=str(tmp_path / "results"),
        net_steps=20,
    )
    points, path = run_scale(config, log=lambda _: None)
    assert [p["size"] for p in points] == [60, 0]
    assert points[0]["train_positions"] == 60 and points[1]["train_positions"] > 60
    (record,) = read_results(tmp_path / "results")
    assert record["kind"] == "data_scale" and len(record["points"]) == 2
    assert (tmp_path / "results" / "data-scale-9.png").stat().st_size > 0
    # A second run finds every point done and trains nothing.
    again, _ = run_scale(config, log=lambda s: pytest.fail(f"retrained: {s}"))
    assert again == points


def _fake_match(folder, outcomes):
    folder.mkdir()
    lines = []
    for i, (colour, result) in enumerate(outcomes):
        lines.append(
            json.dumps(
                {
                    "game": i,
                    "a_color": colour,
                    "a_result": result,
                    "reason": "resign",
                    "moves": 50,
                    "a_seconds": 10.0,
                    "b_seconds": 5.0,
                    "a_moves": 25,
                    "b_moves": 25,
                    "a_name": "ours",
                    "b_name": "GNU Go",
                }
            )
        )
    (folder / "results.jsonl").write_text("\n".join(lines) + "\n")


def test_report_shows_every_kind_of_record(tmp_path):
    results = tmp_path / "results"
    write_result("lin-9", "accuracy", "linear softmax", 9, {"top1": 0.251, "top5": 0.5}, results)
    write_result("net-9", "accuracy", "ResNet", 9, {"top1": 0.402, "top5": 0.7}, results)
    _fake_match(tmp_path / "m", [("B", "win"), ("W", "win"), ("B", "loss"), ("W", "win")])
    match_record(tmp_path / "m", "s-9", "PUCT", 9, "GNU Go 3.8 level 10", results)
    (strength,) = [r for r in read_results(results) if r["kind"] == "strength"]
    assert strength["metrics"]["wins"] == 3 and strength["metrics"]["win_rate"] == 0.75
    assert strength["metrics"]["seconds_per_move"] == pytest.approx(0.4)
    write_result(
        "ae-9", "autoencoder", "autoencoder", 9, {"ae_mse_d2": 0.1, "pca_mse_d2": 0.2}, results
    )
    write_result("lin-9-long", "accuracy", "linear, longer", 9, {"top1": 0.26}, results)
    for stem in ("lin-9", "lin-9-long"):
        (results / f"{stem}.png").write_bytes(b"png")
    out = build_report(results, tmp_path / "docs" / "report.md")
    text = out.read_text()
    # Each record shows its own plot only, not that of a record whose name extends its own.
    assert text.count("](../results/lin-9-long.png)") == 1
    assert text.count("](../results/lin-9.png)") == 1
    assert text.index("40.2%") < text.index("25.1%")  # sorted by top-1
    assert "| 9x9 | PUCT | GNU Go 3.8 level 10 | 4 | 3 | 75.0% |" in text
    assert "pca_mse_d2" in text and "## Autoencoder against PCA" in text
    assert (tmp_path / "docs" / "report_strength.png").stat().st_size > 0


def test_arch_bench_trains_both_nets_for_the_same_budget(archive, tmp_path):
    from training.checkpoint import load_checkpoint

    argv = ["bench", "arch", "--data", str(archive), "--board", "9", "--blocks", "1"]
    argv += ["--channels", "8", "--cpu-minutes", "0.01", "--results", str(tmp_path / "r")]
    assert main([*argv, "--run", str(tmp_path / "run"), "--device", "cpu"]) == 0
    records = {r["name"]: r for r in read_results(tmp_path / "r")}
    assert set(records) == {"resnet-9", "plain-9"}
    for name, r in records.items():
        assert r["metrics"]["train_cpu_seconds"] >= 0.6
        net = load_checkpoint(tmp_path / "run" / f"{name}.safetensors").net
        assert net.config.arch == name.split("-")[0]
    assert records["plain-9"]["model"].startswith("plain CNN, 2 layers x 8")
    # --only trains just one of the two (the other can run on another core)
    only = tmp_path / "only"
    argv = [*argv[:-2], "--results", str(only), "--run", str(only), "--device", "cpu"]
    assert main([*argv, "--only", "plain"]) == 0
    assert [r["name"] for r in read_results(only)] == ["plain-9"]


def test_bench_report_command_and_speed_flattening(tmp_path, capsys):
    rows = {"rows": [{"size": 9, "policy": "light", "moves_per_s": 5.0, "runs": [4, 6]}]}
    assert flatten({**rows, "ok": True}) == {"rows[9/light].moves_per_s": 5.0}
    results = tmp_path / "r"
    write_result("speed", "speed", "go-engine bench rollout", 0, flatten(rows), results)
    out = tmp_path / "report.md"
    assert main(["bench", "report", "--results", str(results), "--out", str(out)]) == 0
    assert "rows[9/light].moves_per_s" in out.read_text()
    (results / "broken.json").write_text("[1]")
    assert main(["bench", "report", "--results", str(results), "--out", str(out)]) == 2
    assert "broken.json" in capsys.readouterr().err
