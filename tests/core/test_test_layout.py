"""The suite collects in one run: pytest's default import mode needs unique test-file names."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_file_basenames_are_unique():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    clashes = sorted(name for name, n in names.items() if n > 1)
    assert not clashes, (
        f"test files share a name across folders {clashes}: pytest refuses to collect the "
        "second one ('import file mismatch'); rename one"
    )
