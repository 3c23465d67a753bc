"""spec2x opens ASDF files with only the asdf plugins its files need."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import REALDATA

SCRIPT = """
import sys, warnings
import asdf
from spec2x.io.references import open_reference
ref = open_reference({path!r}, "camera")
print(type(ref.content["model"]).__name__)
print(sorted(m for m in ("specutils", "ndcube", "stpipe", "jwst") if m in sys.modules))
print(asdf.get_config()._extensions is None)  # the user's global configuration untouched
"""


def test_reference_asdf_opens_without_unrelated_plugins():
    pytest.importorskip("specutils")  # the point: installed, and still not imported
    path = REALDATA / "nirspec" / "jwst_nirspec_camera_0004.asdf"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(path=str(path))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0] == "CompoundModel"
    assert out[1] == "[]"
    assert out[2] == "True"


def test_a_file_spec2x_did_not_write_still_opens_with_every_plugin(tmp_path):
    """Outside spec2x's own reads, asdf keeps the full plugin list."""
    import asdf

    from spec2x._asdf import spec2x_asdf

    with spec2x_asdf() as config:
        lean = {e.package_name for e in config.extensions}
    assert "specutils" not in lean
    assert {"asdf", "gwcs"} <= lean
    assert len(asdf.get_config().extensions) >= len(lean)
