"""Command-line interface of go-engine (``go-engine`` entry point)."""
