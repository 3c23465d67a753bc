"""SOSS ATOCA: decontaminated box extraction, against the injected spectra and against jwst."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import InputFileError
from spec2x.instruments.niriss.soss_atoca import extract_atoca
from spec2x.instruments.niriss.soss_box import soss_box_extract
from spec2x.synthetic.niriss_soss import make_soss_rateints, soss_scene


def _single_order(ds, order):
    """``ds`` with only ``order`` on the detector, noiseless, no background (errors kept)."""
    image = soss_scene(subarray="SUBSTRIP256", pwcpos=ds.attrs["PWCPOS"], orders=(order,))
    sci = np.broadcast_to(image, ds["sci"].shape).astype(np.float32)
    return ds.assign(sci=(ds["sci"].dims, sci))


@pytest.mark.xfail(
    strict=True,
    reason="measured: 60% of order 1's contamination left (cols 3-350); order 2's is outside "
    "the joint grid (0.846-1.409 µm, as jwst's) so it stays; not yet understood",
)
@pytest.mark.parametrize("order", [1, 2])
def test_atoca_removes_the_other_order(soss_refs, order):
    """Each order's decontaminated box is that of the order alone, where the other overlaps it.

    The contamination (box of both minus box of one alone) is up to 3% for
    order 1 (columns 0-85) and up to 33x for order 2 (columns 0-692); ATOCA
    must remove at least 95% of it (median over those columns).
    """
    ds = make_soss_rateints(nints=2, noise=0.01, background=0.0)
    ours = extract_atoca(ds, soss_refs, soss_order_3=False, soss_modelname="m")
    alone = soss_box_extract(_single_order(ds, order), soss_refs["pastasoss"], order_3=False)
    box = soss_box_extract(ds, soss_refs["pastasoss"], order_3=False)
    truth = alone["flux"].sel(order=order).isel(integration=0).values
    got = ours["flux"].sel(order=order).values
    contamination = box["flux"].sel(order=order).isel(integration=0).values - truth
    polluted = np.isfinite(truth) & (truth > 1) & (np.abs(contamination) > 0.005 * truth)
    assert polluted.sum() > 50  # the other order does overlap this one's box
    left = np.abs(got[:, polluted] - truth[polluted]) / np.abs(contamination[polluted])
    assert np.median(left) < 0.05, np.median(left)
    assert ours.attrs["SOSS_TIKFAC"] > 0
    assert ours["flux"].dims == box["flux"].dims


def test_atoca_bad_parameters(soss_refs):
    ds = make_soss_rateints(nints=1)
    with pytest.raises(InputFileError, match="soss_bad_pix"):
        extract_atoca(ds, soss_refs, soss_bad_pix="model")


@pytest.mark.parity
def test_atoca_spectra_as_jwst(tmp_path, soss_refs):
    """jwst's Extract1dStep (soss_atoca=True), SUBSTRIP256, 2 integrations, one joint grid.

    Both sides with ``soss_tikfac=1e-11`` and jwst's joint grid (its
    ``soss_wave_grid_out``, 2.6-2.7e3 nodes): measured 1.1e-5 at worst
    (orders 1 and 3), order 2 2e-9.  At the factor jwst's search picks on
    this exposure (~2e-15) its normal matrix has a condition number ~1e19
    and jwst inverts it explicitly (``np.linalg.inv``): its joint solution
    leaves a normal-equation residual of 40 (relative; LU: 3e-11) and trace
    models 1e2-1e9 x the data, so no other implementation can reproduce
    those numbers (docs/parity.md).  The factor here gives condition ~3e11.
    """
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import SossWaveGridModel

    from spec2x.io.fits import write_fits

    ds = make_soss_rateints(nints=2)
    path = write_fits(ds, tmp_path / "soss_rateints.fits")
    refs = {k: soss_refs[k] for k in ("pastasoss", "specprofile", "speckernel")}
    grid_path = tmp_path / "grid.fits"
    result = run_jwst_step(
        Extract1dStep, str(path), refs, rest="N/A", tmp_path=tmp_path, soss_atoca=True,
        soss_tikfac=1e-11, soss_wave_grid_out=str(grid_path),
    )  # fmt: skip
    with SossWaveGridModel(str(grid_path)) as model:
        grid = np.array(model.wavegrid, dtype=np.float64)
    ours = extract_atoca(ds, soss_refs, soss_tikfac=1e-11, soss_wave_grid_in=grid)
    assert ours.attrs["SOSS_NGRID"] == grid.size
    for spec in result.spec:
        flux = spec.spec_table["FLUX"]
        mine = ours["flux"].sel(order=spec.spectral_order).values[:, : flux.shape[1]]
        np.testing.assert_array_equal(np.isfinite(mine), np.isfinite(flux))
        ok = np.isfinite(flux)
        np.testing.assert_allclose(mine[ok], flux[ok], rtol=1e-4, atol=1e-6)


def test_atoca_wave_grid_in_refused_when_not_a_grid(soss_refs):
    ds = make_soss_rateints(nints=1)
    with pytest.raises(InputFileError, match="soss_wave_grid_in"):
        extract_atoca(ds, soss_refs, soss_wave_grid_in=np.array([1.0, 0.9]))


def test_pixel_weights_follow_jwst_node_assignment():
    """jwst 3.0.0's get_w on grid 0..10: [2.5, 3.5] -> nodes 1, 2, 3; [5.2, 6] -> nodes 4, 5.

    The exact integral would put 0.125, 0.75, 0.125 on nodes 2, 3, 4 and
    0.32, 0.48 on nodes 5, 6; jwst's is one node bluer (kept for parity).
    """
    from spec2x.instruments.niriss.soss_atoca_model import pixel_weights

    w = pixel_weights(np.arange(11.0), np.array([2.5, 5.2]), np.array([3.5, 6.0])).toarray()
    np.testing.assert_allclose(w[0, 1:4], [0.125, 0.125, 0.75])
    np.testing.assert_allclose(w[1, 4:6], [-0.08, 1.28])
    assert w[0, [0, *range(4, 11)]].sum() == 0
    assert w[1, [*range(4), *range(6, 11)]].sum() == 0
