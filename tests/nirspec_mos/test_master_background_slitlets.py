"""master_background_mos from the background slitlets, on a noise-free synthetic MOS scene.

The scene (:func:`spec2x.synthetic.nirspec_mos_chain.make_nirspec_mos_chain`,
``neutral=True``) puts a known flat sky in every open shutter and point and
extended sources in the source slitlets; the chain runs without the steps
the scene was not injected through (wavecorr, flat_field, pathloss,
barshadow; master_background_mos then leaves them out too, as jwst's sub-steps
follow their parent's ``skip``).  The background the step subtracts is the
injected sky, the background slitlets end near zero, and the point sources'
spectra come back without a sky term.  Dask chunks and a DataTree of slit
groups give the same numbers.  Parity with jwst: tests/nirspec_mos/test_mos_chain.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import raise_if_dask_computes

from spec2x.io.references import open_reference
from spec2x.pipeline import spec2
from spec2x.slits import groups, merge, split
from spec2x.steps.master_background_mos import is_background_slitlet, master_background_mos
from spec2x.synthetic.extract_refs import write_apcorr_nirspec_fs
from spec2x.synthetic.nirspec import source_spectrum
from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

SKIP = ("wavecorr", "flat_field", "pathloss", "barshadow")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mos_mbkg")
    chain = make_nirspec_mos_chain(11, folder=folder, n_slitlets=14, noise=False, neutral=True)
    write_apcorr_nirspec_fs(chain.refs["apcorr"], mos=True, constant=1.0)
    steps = {}
    products = spec2(
        chain.truth.rate_paths[0], {k: str(v) for k, v in chain.refs.items()}, skip=SKIP,
        on_step=lambda name, ds: steps.__setitem__(name, ds),
    )  # fmt: skip
    return chain, steps, products


def _refs(chain):
    types = ("fflat", "sflat", "dflat", "pathloss", "barshadow", "photom", "area", "extract1d")
    refs = {t: open_reference(chain.refs[t], t) for t in types}
    return dict(refs, apcorr=open_reference(chain.refs["apcorr"], "apcorr"))


def _chunked(ds):
    """The pixel arrays in Dask chunks of 4 slitlets (the per-slit labels stay NumPy)."""
    return ds.assign({k: ds[k].chunk({"slit": 4}) for k in ds.data_vars})


def _real(ds, i, name="sci"):
    return np.asarray(ds[name][i])[: int(ds["ysize"][i]), : int(ds["xsize"][i])]


def test_the_subtracted_background_is_the_injected_sky(run):
    chain, steps, _ = run
    before, after = steps["srctype"], steps["master_background_mos"]
    assert after.attrs["S_MSBSUB"] == "COMPLETE"
    assert int(is_background_slitlet(after["source_name"].values).sum()) >= 2
    for i in range(after.sizes["slit"]):
        bkg = _real(before, i) - _real(after, i)
        wave = _real(before, i, "wavelength")
        used = np.isfinite(bkg) & ((_real(after, i, "dq") & 1) == 0)
        assert used.sum() > 0.5 * np.isfinite(bkg).sum()
        used &= (wave > 0.7) & (wave < 5.2)  # the combined spectrum's ends take partial pixels
        np.testing.assert_allclose(bkg[used], chain.truth.sky, rtol=1e-4)


def test_background_slitlets_end_at_zero_and_sources_come_back(run):
    _, _, products = run
    x1d = products["x1d"]
    amplitude = run[0].truth.amplitude
    names = x1d["source_name"].values.astype(str)
    wave = np.asarray(x1d["wavelength"].values, float)
    flux = np.asarray(x1d["flux"].values, float)
    sky_jy = run[0].truth.sky * run[0].truth.photmj * 1e6  # per pixel, as a point source
    points = np.flatnonzero(x1d["source_type"].values.astype(str) == "POINT")
    assert points.size >= 1
    for i in range(len(names)):
        use = (wave[i] > 1.0) & (wave[i] < 4.5) & np.isfinite(flux[i])
        if is_background_slitlet(names[i : i + 1])[0]:
            residual = flux[i][use] / (x1d["npixels"].values[i][use] * sky_jy)
            assert np.abs(np.median(residual)) < 1e-3, names[i]
        elif i in points:
            injected = amplitude[int(x1d["source_id"].values[i])] * source_spectrum(wave[i][use])
            ratio = np.median(flux[i][use] / (injected * 1e6))
            assert ratio == pytest.approx(1.0, abs=0.02), names[i]


def test_dask_and_slit_groups_give_the_numpy_answer(run):
    chain, steps, _ = run
    ds = steps["srctype"]
    refs = _refs(chain)
    expected = master_background_mos(ds, refs, skip=SKIP)
    lazy = master_background_mos(_chunked(ds), refs, skip=SKIP)
    assert lazy["sci"].chunks is not None  # the source slitlets are not computed
    np.testing.assert_array_equal(lazy["sci"].values, expected["sci"].values)
    np.testing.assert_array_equal(lazy["dq"].values, expected["dq"].values)
    tree = split(ds, max_padding=1.0, min_pixels=0)
    assert len(groups(tree)) > 1
    grouped = merge(master_background_mos(tree, refs, skip=SKIP))
    order = [list(grouped["slit_name"].values).index(n) for n in ds["slit_name"].values]
    for i, j in enumerate(order):
        np.testing.assert_array_equal(_real(grouped, j), _real(expected, i))


def test_a_user_background_on_dask_computes_nothing(run):
    chain, steps, _ = run
    ds = _chunked(steps["srctype"])
    wave = np.linspace(0.5, 5.5, 50)
    with raise_if_dask_computes():
        out = master_background_mos(ds, _refs(chain), user_background=(wave, 0 * wave + 1.0))
    assert out.attrs["S_MSBSUB"] == "COMPLETE"
