"""An association never makes spec2x write outside the output folder."""

from __future__ import annotations

import json
import os

import pytest
from pipeline_fakes import exposure

from spec2x.cli import main
from spec2x.errors import InputFileError
from spec2x.io.fits import write_fits
from spec2x.scale import Job, process_job


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("name", ["../x/name", "ABS"])
def test_run_refuses_a_product_name_with_a_folder(fake_steps, tmp_path, capsys, name):
    data = tmp_path / "data"
    data.mkdir()
    write_fits(exposure("MIR_LRS-SLITLESS"), data / "jw01_rate.fits")
    name = str(tmp_path / "elsewhere" / "name") if name == "ABS" else name
    members = [{"expname": "jw01_rate.fits", "exptype": "science"}]
    asn = data / "l2_asn.json"
    asn.write_text(json.dumps({"products": [{"name": name, "members": members}]}))
    before = _tree(tmp_path)
    code = main(["run", str(asn), "--output-dir", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in lines[0]
    assert "l2_asn.json" in lines[0]
    assert repr(name) in lines[0]
    assert _tree(tmp_path) == before  # nothing written anywhere, not even the output folder


def test_a_job_never_writes_outside_the_output_folder(fake_steps, tmp_path):
    rate = write_fits(exposure("MIR_LRS-SLITLESS"), tmp_path / "jw01_rate.fits")
    out = tmp_path / "a" / "out"
    with pytest.raises(InputFileError, match="not a plain file name"):
        process_job(Job(str(rate), "../../b/jw01"), output_dir=out)
    assert not (tmp_path / "b").exists()
    assert not out.exists() or os.listdir(out) == []
