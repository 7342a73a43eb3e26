"""`go-engine export --onnx OUT.onnx --model CKPT`: a network checkpoint as an ONNX model.

The model takes float32 planes [batch, C, N, N] and returns policy logits [batch, N*N+1] and
values [batch] (see `training.onnx_export`); the batch axis is dynamic. Before the file is
written, ONNX Runtime runs it beside torch and the export fails if their outputs differ.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--onnx", required=True, metavar="OUT.onnx", help="ONNX file to write")
    parser.add_argument("--model", required=True, metavar="CKPT", help="network checkpoint")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    parser.add_argument(
        "--dynamo", action="store_true", help="use torch's torch.export-based exporter"
    )
    parser.add_argument("--no-fuse", action="store_true", help="keep batch norm unfolded")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the check against torch with onnxruntime"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from training.checkpoint import CheckpointError, load_checkpoint

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
