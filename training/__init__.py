"""PyTorch side of go-engine: the networks (`training.nets`), the evaluator that lets the search
in `go_engine` call them (`training.torch_evaluator`) and, in later issues, their trainers.

This package may import `go_engine`; `go_engine` never imports torch or this package.
"""
