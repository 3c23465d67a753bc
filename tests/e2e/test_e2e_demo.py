"""``spec2x demo MODE --output-dir DIR`` for each mode: what it writes, and that it opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spec2x.cli import main
from spec2x.io.fits import open_product

EXPECTED = {
    "mir_lrs_fs": {"cal", "s2d", "x1d"},
    "mir_lrs_slitless": {"calints", "x1dints"},
    "nrs_fs": {"cal", "s2d", "x1d"},
    "nrs_bots": {"calints", "x1dints"},
    "nis_soss": {"calints", "x1dints"},
    "mir_mrs": {"cal", "s3d", "0_x1d", "1_x1d"},
}
#: What the demo prints as "the same run by hand" beyond --refs DIR --strict-refs.
BY_HAND = {
    "nis_soss": [
        *(f"--ref={t}=N/A" for t in ("pathloss", "extract1d", "apcorr", "area")),
        "--steps.extract_1d.soss_atoca=False",
    ],
    "mir_mrs": ["--ref=area=N/A"],
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_demo_writes_products_that_open(demo_runs, mode):
    manifest = demo_runs(mode)
    products = manifest["products"]
    assert EXPECTED[mode] | {"quicklook"} <= set(products)
    folder = Path(products["quicklook"]).parent
    assert (folder / "inputs").is_dir()
    assert (folder / "refs").is_dir()
    for ref in manifest["refs"].values():
        assert ref == "N/A" or Path(ref).parent == folder / "refs", ref
    png = Path(products["quicklook"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 10_000
    for suffix in EXPECTED[mode]:
        ds = open_product(products[suffix])
        assert ds.attrs["DATAMODL"], suffix
    x1d = open_product(products[next(k for k in ("x1dints", "x1d", "0_x1d") if k in products)])
    assert np.isfinite(x1d["flux"].values).mean() > 0.8
    assert x1d.attrs["S_EXTR1D"] == "COMPLETE"


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_demo_prints_where_and_the_flux_ratio(demo_runs, mode):
    manifest = demo_runs(mode)
    out = manifest["stdout"]
    for path in manifest["products"].values():
        assert path in out
    line = next(ln for ln in out.splitlines() if "recovered / injected flux" in ln)
    assert abs(float(line.rsplit(":", 1)[1]) - 1.0) < 0.02
    if mode in ("mir_lrs_slitless", "nrs_bots", "nis_soss"):
        line = next(ln for ln in out.splitlines() if "transit depth: recovered" in ln)
        recovered = float(line.split("recovered", 1)[1].split(",")[0])
        assert abs(recovered - 0.01) < 0.002


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_run_on_the_demo_inputs_and_folder_gives_the_demo_products(demo_runs, mode, tmp_path):
    # every demo's reference folder is complete: `spec2x run` needs nothing behind the scenes
    manifest = demo_runs(mode)
    refs = Path(manifest["products"]["quicklook"]).parent / "refs"
    args = ["run", manifest["input"], "--refs", str(refs), "--strict-refs", *BY_HAND.get(mode, [])]
    args.append("--output-dir")
    assert main([*args, str(tmp_path)]) == 0
    for suffix in EXPECTED[mode]:
        demo = open_product(manifest["products"][suffix])
        ours = open_product(tmp_path / Path(manifest["products"][suffix]).name)
        for name in demo.data_vars:
            np.testing.assert_array_equal(ours[name].values, demo[name].values, err_msg=name)


def test_demo_unknown_mode_is_a_clear_error(tmp_path, capsys):
    code = main(["demo", "mir_image", "--output-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "mir_image" in err
    assert "mir_lrs_fs" in err
