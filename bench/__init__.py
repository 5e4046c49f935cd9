"""Benchmarks: each prints its numbers and writes them under ``bench/results/``."""

from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def write_results(name: str, text: str) -> None:
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(text + "\n")
