"""``spec2x demo nrs_ifu``: a NIRSpec IFU point source through the chain into a cube, and its
x1d gives the injected spectrum back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from e2e_helpers import binned_ratio, run_demo_cli, truth

from spec2x.io.fits import open_product

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo_cli("nrs_ifu", tmp_path_factory.mktemp("demo_nrs_ifu"))


def test_products_figure_and_flux_ratio(demo):
    products = demo["products"]
    assert {"cal", "s3d", "x1d", "quicklook"} <= set(products)
    assert Path(products["quicklook"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cube = open_product(products["s3d"])
    assert cube["sci"].dims == ("wavelength", "y", "x")
    assert cube.attrs["S_IFUCUB"] == "COMPLETE"
    assert "recovered / injected flux" in demo["stdout"]
    assert "--refs" in demo["stdout"]


def test_point_source_recovers_its_injected_spectrum(demo):
    x1d = open_product(demo["products"]["x1d"])
    wave, flux = x1d["wavelength"].values, x1d["flux"].values
    ratios = binned_ratio(wave, flux, truth(demo, wave), *demo["well_exposed_um"])
    assert np.all(np.abs(ratios - 1) < 0.02), ratios
