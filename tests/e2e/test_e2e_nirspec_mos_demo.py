"""``spec2x demo nrs_mos``: 20 MSA slitlets (four of them background-only) through the
chain with master_background_mos on; every point source's x1d gives its injected
spectrum back without the sky, and the background slitlets end near zero."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.steps.master_background_mos import is_background_slitlet
from spec2x.synthetic.nirspec import source_spectrum


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_nrs_mos")
    assert main(["demo", "nrs_mos", "--output-dir", str(out)]) == 0
    return json.loads((out / "demo.json").read_text())


def test_products_figure_and_flux_ratio(demo, capsys):
    products = demo["products"]
    assert {"cal", "s2d", "x1d", "quicklook"} <= set(products)
    assert Path(products["quicklook"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x1d = open_product(products["x1d"])
    assert x1d.sizes["slit"] == 18  # two of the 20 slitlets fall on NRS2
    assert x1d.attrs["S_EXTR1D"] == "COMPLETE"
    assert open_product(products["s2d"]).sizes["slit"] == 18


def test_the_master_background_is_subtracted(demo):
    """The chain ran master_background_mos on the four background slitlets: their x1d is
    consistent with zero (median < 2 % of the injected sky in the box; noisy scene)."""
    cal = open_product(demo["products"]["cal"])
    assert cal.attrs["S_MSBSUB"] == "COMPLETE"
    x1d = open_product(demo["products"]["x1d"])
    background = is_background_slitlet(x1d["source_name"].values)
    assert int(background.sum()) == 4
    wave = np.asarray(x1d["wavelength"].values, float)
    flux = np.asarray(x1d["flux"].values, float)
    for i in np.flatnonzero(background):
        use = (wave[i] > 1.0) & (wave[i] < 4.5) & np.isfinite(flux[i])
        sky = demo["truth"]["sky_jy_per_pixel"] * x1d["npixels"].values[i][use]
        assert abs(np.median(flux[i][use] / sky)) < 0.02, x1d["slit_name"].values[i]


def test_point_sources_recover_their_injected_spectra(demo):
    """Every point source's x1d within 0.5 % of its injected F_nu (median of the ratio
    over 1-4.5 µm): the sky in its box, 1-1.5 % of the source, is subtracted."""
    x1d = open_product(demo["products"]["x1d"])
    amplitude = demo["truth"]["amplitude_by_source_id"]
    wave = np.asarray(x1d["wavelength"].values, float)
    flux = np.asarray(x1d["flux"].values, float)
    points = np.flatnonzero(x1d["source_type"].values.astype(str) == "POINT")
    assert points.size >= 2
    for i in points:
        use = (wave[i] > 1.0) & (wave[i] < 4.5) & np.isfinite(flux[i])
        injected = amplitude[str(int(x1d["source_id"].values[i]))] * source_spectrum(wave[i][use])
        ratio = np.median(flux[i][use] / (injected * 1e6))
        assert ratio == pytest.approx(1.0, abs=0.005), x1d["slit_name"].values[i]
