"""`go-engine export --model CKPT --onnx OUT.onnx`: a network checkpoint as an ONNX model;
`--safetensors OUT [--half] [--info KEY=VALUE ...] [--metric KEY=NUMBER ...]`: as a checkpoint
for shipping (the form of `training/networks/*.safetensors`: format 2, float16 with `--half`,
no optimizer, its record extended by the given info and metrics).

The ONNX model takes float32 planes [batch, C, N, N] and returns policy logits [batch, N*N+1] and
values [batch] (see `training.onnx_export`); the batch axis is dynamic. Before the file is
written, ONNX Runtime runs it beside torch and the export fails if their outputs differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="CKPT", help="network checkpoint")
    parser.add_argument("--onnx", metavar="OUT.onnx", help="ONNX file to write")
    parser.add_argument(
        "--safetensors", metavar="OUT", help="checkpoint to write (format 2, no optimizer)"
    )
    parser.add_argument("--half", action="store_true", help="store float16 (--safetensors)")
    parser.add_argument(
        "--info",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add to the checkpoint's info record (repeatable; --safetensors)",
    )
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="KEY=NUMBER",
        help="add to the checkpoint's metrics (repeatable; --safetensors)",
    )
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    parser.add_argument(
        "--dynamo", action="store_true", help="use torch's torch.export-based exporter"
    )
    parser.add_argument("--no-fuse", action="store_true", help="keep batch norm unfolded")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the check against torch with onnxruntime"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _pairs(items: list[str], what: str, number: bool) -> dict:
    out: dict = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"--{what} {item!r}: give KEY=VALUE")
        try:
            out[key] = float(value) if number else value
        except ValueError:
            raise ValueError(f"--{what} {item!r}: {value!r} is not a number") from None
    return out


def export_checkpoint(args: argparse.Namespace) -> int:
    """--safetensors: the checkpoint re-written for shipping."""
    from training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    try:
        info = _pairs(args.info, "info", number=False)
        metrics = _pairs(args.metric, "metric", number=True)
        ck = load_checkpoint(args.model, load_optimizer=False)
    except (ValueError, CheckpointError) as e:
        print(f"go-engine export: {e}", file=sys.stderr)
        return 1
    save_checkpoint(
        args.safetensors,
        ck.net,
        step=ck.step,
        metrics={**ck.metrics, **metrics},
        info={**ck.info, "exported_from": str(args.model), **info},
        data=ck.data,
        half=args.half,
        format=2,
    )
    size = Path(args.safetensors).stat().st_size
    dtype = "float16" if args.half else "float32"
    report = {"path": str(args.safetensors), "bytes": size, "dtype": dtype, "model": args.model}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"wrote {args.safetensors} ({size:,} bytes, {dtype}) from {args.model}")
    return 0


def run(args: argparse.Namespace) -> int:
    from training.checkpoint import CheckpointError, load_checkpoint

    if not (args.onnx or args.safetensors):
        print("go-engine export: give --onnx OUT.onnx or --safetensors OUT", file=sys.stderr)
        return 2
    if args.safetensors:
        code = export_checkpoint(args)
        if code or not args.onnx:
            return code
    try:
        import onnx  # noqa: F401

        if not args.no_verify:
            import onnxruntime  # noqa: F401
    except ImportError as e:
        msg = f"go-engine export: {e.name} is not installed (pip install onnx onnxruntime)"
        print(msg, file=sys.stderr)
        return 2
    from training.onnx_export import OnnxMismatchError, export_onnx

    try:
        ckpt = load_checkpoint(args.model)
    except CheckpointError as e:
        print(f"go-engine export: {e}", file=sys.stderr)
        return 1
    try:
        report = export_onnx(
            ckpt.net,
            args.onnx,
            fuse=not args.no_fuse,
            opset=args.opset,
            dynamo=args.dynamo,
            verify=not args.no_verify,
        )
    except OnnxMismatchError as e:
        print(f"go-engine export: {args.model}: {e}; nothing written", file=sys.stderr)
        return 1
    c = ckpt.net.config
    report.update(
        model=str(args.model),
        board_size=c.board_size,
        features=c.features,
        arch=c.arch,
        blocks=c.blocks,
        channels=c.channels,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        line = (
            f"wrote {report['path']} ({report['bytes']:,} bytes, opset {report['opset']}): "
            f"{c.arch} {c.blocks}x{c.channels}, {c.board_size}x{c.board_size}, {c.features} "
            "planes"
        )
        if "max_abs_diff" in report:
            d = report["max_abs_diff"]
            line += (
                f"; onnxruntime matches torch (largest difference: policy logits "
                f"{d['policy']:.2g}, value {d['value']:.2g})"
            )
        print(line)
    return 0
