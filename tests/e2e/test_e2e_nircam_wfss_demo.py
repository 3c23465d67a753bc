"""``spec2x demo nrc_wfss``: a NIRCam GRISMR field with known spectra through the chain; the
isolated demo source's spectrum comes back, and ``spec2x run`` on the demo's inputs agrees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from e2e_helpers import binned_ratio, run_demo_cli, truth

from spec2x.cli import main
from spec2x.io.fits import open_product

pytestmark = pytest.mark.slow

_BY_HAND = [f"--ref={t}=N/A" for t in ("extract1d", "apcorr", "area")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo_cli("nrc_wfss", tmp_path_factory.mktemp("demo_nrc_wfss"))


def _demo_spectrum(demo):
    x1d = open_product(demo["products"]["x1d"])
    name = demo["stdout"].split("slitlet ", 1)[1].split()[0]
    names = [str(n) for n in x1d["slit_name"].values]
    orders = x1d["spectral_order"].values if "spectral_order" in x1d.coords else np.ones(len(names))
    return x1d.isel(slit=[k for k, n in enumerate(names) if n == name and orders[k] == 1][0])


def test_products_figure_and_flux_ratio(demo):
    products = demo["products"]
    assert {"cal", "x1d", "quicklook"} <= set(products)
    assert Path(products["quicklook"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    line = next(ln for ln in demo["stdout"].splitlines() if "recovered / injected flux" in ln)
    assert abs(float(line.rsplit(":", 1)[1]) - 1.0) < 0.02
    for ref in demo["refs"].values():
        assert Path(ref).parent == Path(products["quicklook"]).parent / "refs", ref


def test_the_demo_source_recovers_its_injected_spectrum(demo):
    spec = _demo_spectrum(demo)
    wave, flux = spec["wavelength"].values, spec["flux"].values
    ratios = binned_ratio(wave, flux, truth(demo, wave), *demo["well_exposed_um"])
    assert np.all(np.abs(ratios - 1) < 0.02), ratios


def test_run_on_the_demo_association_gives_the_demo_products(demo, tmp_path):
    refs = Path(demo["products"]["quicklook"]).parent / "refs"
    args = ["run", demo["input"], "--refs", str(refs), "--strict-refs", *_BY_HAND]
    assert main([*args, "--output-dir", str(tmp_path)]) == 0
    for suffix in ("cal", "x1d"):
        ours = open_product(tmp_path / Path(demo["products"][suffix]).name)
        made = open_product(demo["products"][suffix])
        for name in made.data_vars:
            np.testing.assert_array_equal(ours[name].values, made[name].values, err_msg=name)
