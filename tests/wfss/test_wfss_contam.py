"""wfss_contam: the forward-model kernel by hand, the step's rules, inject-and-recover."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x._kernels.wfss_disperse import clipped_pixels, count_rates, native_wavelengths
from spec2x.chain import chain_for
from spec2x.errors import ParameterError
from spec2x.slits import iter_slits
from spec2x.step_spec import StepOutput
from spec2x.steps.wfss_contam import Polyfit, simulate, wfss_contam
from spec2x.synthetic.wfss_inject import inject_point_sources


def _by_source(slits):
    return {int(s["source_id"].values[0]): s for s in iter_slits(slits)}


def test_clipped_pixels_by_hand():
    # a unit square centred on (10.3, 4.2) covers [9.8, 10.8] x [3.7, 4.7]
    ix, iy, area, index = clipped_pixels(np.array([10.3]), np.array([4.2]), 20, 20)
    got = {(int(x), int(y)): a for x, y, a in zip(ix, iy, area, strict=True)}
    assert got == pytest.approx({(9, 3): 0.06, (9, 4): 0.14, (10, 3): 0.24, (10, 4): 0.56})
    assert set(index) == {0}
    # on a pixel exactly: one overlap; at the edges: clipped; NaN or off the image: nothing
    ix, iy, area, index = clipped_pixels(
        np.array([[10.5, 0.0, 19.7], [np.nan, -0.5, 3.5]]),
        np.array([[4.5, 0.0, 19.6], [3.0, 3.2, -0.5]]),
        20,
        20,
    )
    got = sorted(zip(index, ix, iy, area, strict=True))
    assert [g[:3] for g in got] == [(0, 10, 4), (1, 0, 0), (2, 19, 19)]
    assert [g[3] for g in got] == pytest.approx([1.0, 0.25, 0.72])


def test_native_wavelengths_and_count_rates():
    # jwst's rule: dlam = 0.1 µm / |0.5 - 100| px / 2 samples; ceil(0.1 / dlam) = 199 points
    grid = native_wavelengths(100.0, 0.5, 3.0, 3.1, 2)
    assert grid.size == 199
    assert grid[0] == 3.0
    assert grid[-1] == 3.1
    assert native_wavelengths(0.0, 0.1, 3.0, 3.1, 2).size == 3  # order 0: at least three
    counts = count_rates(
        np.array([2.0, 2.0, 2.0]),
        np.array([0.5, 1.0, 1.0]),
        np.array([3.05, 2.9, 3.05]),
        1e-3,
        np.array([3.0, 3.1]),
        np.array([4.0, 0.0]),
    )
    # 2 MJy/sr x 0.5 px x 1e-3 µm / S(3.05) = 2; outside the curve: 0
    assert counts == pytest.approx([2 * 0.5 * 1e-3 / 2.0, 0.0, 2 * 1e-3 / 2.0])


def test_chain_runs_it_only_on_request():
    assert "wfss_contam" not in chain_for({"EXP_TYPE": "NRC_WFSS"})
    chain = chain_for({"EXP_TYPE": "NIS_WFSS"}, {"wfss_contam": {"skip": False}})
    assert chain[chain.index("srctype") + 1 : chain.index("photom")] == ["wfss_contam"]


@pytest.mark.slow
def test_contaminated_sources_recovered(contam_scene):
    """Each first source of a pair, under its neighbour's trace: its cut-out's spectrum
    (summed across the dispersion, 60-pixel bins) matches the source alone within 2 %."""
    c = contam_scene("GRISMR")
    before = _by_source(c["cutouts"])
    after = _by_source(wfss_contam(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1]))
    files, scene = c["files"], c["files"]["scene"]
    ra, dec = files["wcs"].get_transform("detector", "world")(scene.x - 200, scene.y - 200, 1, 1)[
        :2
    ]
    n = scene.label.size // 2
    for k in range(n):
        alone = inject_point_sources(
            np.zeros((2048, 2048)), files["wcs"], ra[k : k + 1], dec[k : k + 1],
            files["flux"][k : k + 1], lambda w: 1.0 / files["sensitivity"](w), (3.10, 4.00),
        )  # fmt: skip
        s = after[int(scene.label[k])]
        y0, x0 = int(s["ystart"][0]) - 1, int(s["xstart"][0]) - 1
        h, w = int(s["ysize"][0]), int(s["xsize"][0])
        truth = alone[y0 : y0 + h, x0 : x0 + w].sum(axis=0)
        nb = w // 60
        edges = slice(1, nb - 1)  # the trace's ends: partial bins

        def binned(a, nb=nb, w=w):
            return a[: nb * 60].reshape(nb, 60).sum(axis=1)

        ok = binned(truth)[edges] > 0.2 * binned(truth).max()
        ratio_after = (binned(s["sci"].values[0].sum(axis=0)) / binned(truth))[edges][ok]
        ratio_before = (binned(before[int(scene.label[k])]["sci"].values[0].sum(axis=0))
                        / binned(truth))[edges][ok]  # fmt: skip
        assert np.abs(ratio_after - 1).max() < 0.02, k
        assert np.abs(ratio_before - 1).max() > 0.2, k


def test_step_keeps_input_and_records(contam_scene):
    c = contam_scene("GRISMR")
    cut = c["cutouts"]
    copy = cut.copy(deep=True)
    out = wfss_contam(cut, c["scene"], c["ranges"], c["photom"], orders=[1])
    assert cut.identical(copy)
    assert out.attrs["S_CONTAM"] == "COMPLETE"
    np.testing.assert_array_equal(out["dq"].values, cut["dq"].values)
    np.testing.assert_array_equal(out["err"].values, cut["err"].values)
    skipped = wfss_contam(cut, c["scene"], c["ranges"], c["photom"], orders=[7])
    assert skipped.attrs["S_CONTAM"] == "SKIPPED"
    assert skipped["sci"].identical(cut["sci"])
    none = wfss_contam(
        cut, c["scene"], c["ranges"], c["photom"], magnitude_limit=5.0, catalog=c["catalog"]
    )
    assert none.attrs["S_CONTAM"] == "SKIPPED"
    with pytest.raises(ParameterError, match="catalog"):
        wfss_contam(cut, c["scene"], c["ranges"], c["photom"], magnitude_limit=5.0)


def test_frame_is_the_sum_of_sources(contam_scene):
    """The simulated frame holds the order's light of every source; a source's own light
    in its cut-out is not counted as its contamination."""
    c = contam_scene("GRISMR")
    sim = simulate(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    assert sim.orders == (1,)
    total = c["files"]["flux"].size
    assert sim.frame.sum() > 0
    assert np.isfinite(sim.frame).all()
    assert len(sim.contam) == 1
    assert sim.contam[0].shape[0] == total
    assert (sim.contam[0] >= -1e-9).all()


@pytest.mark.slow
def test_from_chain_reads_the_direct_image_and_map(contam_scene, monkeypatch):
    from spec2x.io.references import ReferenceSet
    from spec2x.registry import STEPS
    from spec2x.steps import StepContext
    from spec2x.steps.wfss_contam import from_chain

    c = contam_scene("GRISMR")
    monkeypatch.chdir(c["folder"])  # DIRIMAGE and SEGMFILE are names beside the exposure
    refs = ReferenceSet(
        {"photom": c["photom"].path, "wavelengthrange": c["refs"]["wavelengthrange"]}
    )
    params = {**STEPS["wfss_contam"].defaults(), "orders": [1]}
    out = from_chain(c["cutouts"], StepContext("wfss_contam", refs, params))
    direct = wfss_contam(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    assert out["sci"].identical(direct["sci"])
    assert out.attrs["R_PHOTOM"] == "photom.fits"
    # the spectral fit's parameters reach it (the fit itself: test_wfss_contam_polyfit.py)
    fitted = from_chain(
        c["cutouts"], StepContext("wfss_contam", refs, {**params, "polyfit_degree": 1})
    )
    fit = Polyfit(degree=1, n_iterations=1, l2_alpha=0.1, rejection_threshold=0.1)
    direct = wfss_contam(
        c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1], polyfit=fit
    )
    assert fitted["sci"].identical(direct["sci"])


def test_sources_absent_from_the_map_are_dropped(contam_scene):
    from dataclasses import replace

    c = contam_scene("GRISMR")
    s = c["scene"]
    keep = s.label != 1
    scene = replace(s, x=s.x[keep], y=s.y[keep], label=s.label[keep], flux=s.flux[keep],
                    labels=s.labels[s.labels != 1])  # fmt: skip
    out = wfss_contam(c["cutouts"], scene, c["ranges"], c["photom"], orders=[1])
    assert sorted(_by_source(out)) == sorted(set(_by_source(c["cutouts"])) - {1})


def test_dask_cutouts_stay_lazy(contam_scene):
    from helpers import raise_if_dask_computes

    c = contam_scene("GRISMR")
    eager = wfss_contam(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    cut = c["cutouts"]
    chunked = cut.assign({k: v.chunk({"slit": 2}) for k, v in cut.data_vars.items()})
    with raise_if_dask_computes():
        lazy = wfss_contam(chunked, c["scene"], c["ranges"], c["photom"], orders=[1])
    assert lazy["sci"].chunks is not None
    np.testing.assert_array_equal(lazy["sci"].values, eager["sci"].values)


def test_saved_products_written_with_jwst_names(contam_scene, monkeypatch, tmp_path):
    """save_simulated_image / save_contam_images: ``<base>_simul`` (ImageModel, the frame),
    ``_simul_slits`` and ``_contam`` (MultiSlitModel), as jwst's step names them; contamination
    plus corrected cut-out is the cut-out, contamination plus own light the frame."""
    models = pytest.importorskip("stdatamodels.jwst.datamodels")
    from spec2x.io.references import ReferenceSet
    from spec2x.io.streaming import write_products
    from spec2x.pipeline import _unpack
    from spec2x.registry import STEPS
    from spec2x.steps import StepContext
    from spec2x.steps.wfss_contam import from_chain

    c = contam_scene("GRISMR")
    monkeypatch.chdir(c["folder"])
    refs = ReferenceSet(
        {"photom": c["photom"].path, "wavelengthrange": c["refs"]["wavelengthrange"]}
    )
    params = {**STEPS["wfss_contam"].defaults(), "orders": [1], "save_simulated_image": True,
              "save_contam_images": True}  # fmt: skip
    result = from_chain(c["cutouts"], StepContext("wfss_contam", refs, params))
    assert isinstance(result, StepOutput)
    out, _, saved = _unpack(result)  # what the chain adds to its products
    assert out.attrs["S_CONTAM"] == "COMPLETE"
    sim = simulate(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    np.testing.assert_array_equal(saved["simul"]["sci"].values, sim.frame)
    before, after = _by_source(c["cutouts"]), _by_source(out)
    contam, own = _by_source(saved["contam"]), _by_source(saved["simul_slits"])
    assert set(contam) == set(after)
    assert set(own) <= set(after)
    for sid, s in after.items():
        total = s["sci"].values[0] + contam[sid]["sci"].values[0]
        np.testing.assert_allclose(total, before[sid]["sci"].values[0], atol=1e-5)
        if sid in own:
            y0, x0 = int(s["ystart"][0]) - 1, int(s["xstart"][0]) - 1
            h, w = int(s["ysize"][0]), int(s["xsize"][0])
            frame = own[sid]["sci"].values[0] + contam[sid]["sci"].values[0]
            np.testing.assert_allclose(frame, sim.frame[y0 : y0 + h, x0 : x0 + w], atol=1e-5)
    write_products(saved, tmp_path, "nrc_wfss", "fits")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["nrc_wfss_contam.fits", "nrc_wfss_simul.fits", "nrc_wfss_simul_slits.fits"]
    with models.open(tmp_path / "nrc_wfss_simul.fits") as m:
        assert isinstance(m, models.ImageModel)
        np.testing.assert_allclose(m.data, sim.frame, rtol=1e-6)
    with models.open(tmp_path / "nrc_wfss_contam.fits") as m:
        assert isinstance(m, models.MultiSlitModel)
        assert sorted(s.source_id for s in m.slits) == sorted(contam)


@pytest.mark.slow
def test_chain_returns_the_saved_files(contam_scene, monkeypatch):
    """spec2 with wfss_contam on and both save parameters: the side files join the products."""
    from spec2x.pipeline import spec2

    c = contam_scene("GRISMR")
    monkeypatch.chdir(c["folder"])
    refs = {**{k: str(v) for k, v in c["refs"].items()}, "photom": c["photom"].path}
    refs.update(dict.fromkeys(("bkg", "flat", "extract1d", "apcorr", "area"), "N/A"))
    step = {"skip": False, "orders": [1], "save_simulated_image": True, "save_contam_images": True}
    products = spec2(str(c["files"]["rate"]), refs, {"wfss_contam": step})
    assert sorted(products) == ["cal", "contam", "simul", "simul_slits", "x1d"]
    assert products["cal"].attrs["S_CONTAM"] == "COMPLETE"
    assert products["simul"]["sci"].shape == (2048, 2048)
