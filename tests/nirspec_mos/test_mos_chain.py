"""NIRSpec MOS from the command line: rate + MSA metadata file -> cal, s2d, x1d.

A synthetic exposure of 20 slitlets (18 on NRS1, four of them background
only; :func:`spec2x.synthetic.nirspec_mos_chain.make_nirspec_mos_chain`) goes
through ``spec2x run`` and, for the parity test, through jwst 3.0.0's
``Spec2Pipeline`` offline with the same references, master_background_mos
included (its master background made from the background slitlets); both
save the srctype and master_background_mos outputs, so the subtracted
background is compared on its own too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from s2d_parity import assert_s2d_keywords_and_dq

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

N_ON_DETECTOR = 18


def _ref_args(refs: dict[str, Path]) -> list[str]:
    return [a for k, v in refs.items() for a in ("--ref", f"{k}={v}")]


def _run(rate: Path, refs: dict[str, Path], out: Path, *extra: str) -> int:
    return main(["run", str(rate), "--output-dir", str(out), "-q", *_ref_args(refs), *extra])


@pytest.fixture(scope="module")
def mos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrs_mos")
    chain = make_nirspec_mos_chain(3, folder=folder, n_slitlets=20)
    rate = chain.truth.rate_paths[0]
    out = folder / "ours"
    assert _run(rate, chain.refs, out, "--save-steps") == 0
    base = rate.name.replace("_rate.fits", "")
    steps = ("cal", "s2d", "x1d", "srctype", "master_background_mos")
    return chain, {k: out / f"{base}_{k}.fits" for k in steps}


def test_products_carry_every_slitlet_and_its_msa_labels(mos):
    chain, files = mos
    cal, s2d, x1d = (open_product(files[k]) for k in ("cal", "s2d", "x1d"))
    assert cal.attrs["S_MSBSUB"] == "COMPLETE"
    for ds in (cal, s2d, x1d):
        assert ds.sizes["slit"] == N_ON_DETECTOR
        names = list(ds["slit_name"].values.astype(str))
        assert names == list(cal["slit_name"].values.astype(str))
        np.testing.assert_array_equal(ds["slitlet_id"].values, [int(n) for n in names])
        assert set(ds["shutter_state"].values.astype(str)) <= {"1x1", "11x", "x11", "1x", "x1"}
    background = np.char.find(x1d["source_name"].values.astype(str), "BKG") >= 0
    assert background.sum() == 4
    assert (x1d["source_id"].values[~background] > 0).all()
    points = x1d["source_type"].values.astype(str) == "POINT"
    np.testing.assert_array_equal(points, x1d["stellarity"].values > 0.75)


def test_products_open_in_jwst_datamodels_and_specutils(mos):
    from specutils import SpectrumList
    from stdatamodels.jwst import datamodels

    _, files = mos
    with datamodels.open(files["s2d"]) as s2d:
        assert isinstance(s2d, datamodels.MultiSlitModel)
        assert len(s2d.slits) == N_ON_DETECTOR
        assert s2d.slits[0].source_name
    with datamodels.open(files["x1d"]) as x1d:
        assert isinstance(x1d, datamodels.MultiSpecModel)
        assert [s.slitlet_id for s in x1d.spec] == [s.slitlet_id for s in s2d.slits]
    assert len(SpectrumList.read(files["x1d"], format="JWST x1d multi")) == N_ON_DETECTOR


def _edited(rate: Path, folder: Path, **keywords) -> Path:
    """A copy of ``rate`` with primary-header ``keywords`` set (None deletes)."""
    path = folder / rate.name
    with fits.open(rate) as hdul:
        for key, value in keywords.items():
            if value is None:
                del hdul[0].header[key]
            else:
                hdul[0].header[key] = value
        hdul.writeto(path)
    return path


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"MSAMETFL": None}, "has no MSA metadata file (keyword MSAMETFL)"),
        ({"MSAMETFL": "jw09999_msa.fits"}, "jw09999_msa.fits (keyword MSAMETFL) does not exist"),
        ({"MSAMETID": 7}, "has no shutters for MSAMETID=7"),
    ],
)
def test_bad_msa_metadata_is_one_clear_line(mos, tmp_path, capsys, keywords, expected):
    chain, _ = mos
    rate = _edited(chain.truth.rate_paths[0], tmp_path, **keywords)
    if "MSAMETFL" not in keywords:  # the metadata file beside the copy
        (tmp_path / chain.truth.msa_metadata.name).symlink_to(chain.truth.msa_metadata)
    capsys.readouterr()
    status = _run(rate, chain.refs, tmp_path / "out", "--skip", "master_background_mos")
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert "Traceback" not in err[0]
    assert expected in err[0]


def _max_rel(mine: np.ndarray, theirs: np.ndarray, floor: bool = False) -> float:
    """Largest |mine - theirs| / |theirs|; ``floor``: over at least the median |theirs| (after
    the master background, sky-dominated values cross zero)."""
    assert mine.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    ok = np.isfinite(theirs)
    low = max(float(np.median(np.abs(theirs[ok]))), 1e-30) if floor and ok.any() else 1e-30
    scale = np.maximum(np.abs(theirs[ok]), low)
    return float((np.abs(mine[ok] - theirs[ok]) / scale).max(initial=0.0))


def _assert_same_background(ours: dict[str, Path], theirs: dict[str, Path]) -> None:
    """The background master_background_mos subtracted (srctype - its output), per slitlet,
    within 1e-4 of the background's peak beyond two float32 steps of the data (both
    products are float32: a difference of them carries that rounding); DQ equal; not zero."""
    from stdatamodels.jwst import datamodels

    paths = (ours["srctype"], ours["master_background_mos"], theirs["srctype"], theirs["mos"])
    models = [datamodels.open(p) for p in paths]
    worst = 0.0
    try:
        before, after, jw_before, jw_after = (m.slits for m in models)
        assert [s.name for s in after] == [s.name for s in jw_after]
        for a0, a1, b0, b1 in zip(before, after, jw_before, jw_after, strict=True):
            np.testing.assert_array_equal(a1.dq, b1.dq, err_msg=a1.name)
            mine, jw = a0.data - a1.data.astype(float), b0.data - b1.data.astype(float)
            assert np.array_equal(np.isnan(mine), np.isnan(jw)), a1.name
            ok = np.isfinite(jw)
            peak = np.abs(jw[ok]).max()
            assert peak > 0.01, a1.name  # a background was subtracted
            rounding = 2.0 * np.spacing(np.abs(b0.data[ok]).astype(np.float32))
            beyond = np.maximum(np.abs(mine[ok] - jw[ok]) - rounding, 0.0)
            worst = max(worst, float(beyond.max() / peak))
    finally:
        for m in models:
            m.close()
    assert worst < 1e-4
    print(f"master background: largest difference / peak background {worst:.2e}")


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(mos, tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    chain, files = mos
    save = {"srctype": {"save_results": True}, "master_background_mos": {"save_results": True}}
    run = run_jwst_spec2(chain.truth.rate_paths[0], chain.refs, save, output_dir=tmp_path)
    assert {"cal", "s2d", "x1d", "srctype", "mos"} <= set(run.files)
    _assert_same_background(files, run.files)
    limits = {"cal": 1e-5, "s2d": 1e-4}
    worst = dict.fromkeys(("cal", "s2d", "x1d"), 0.0)
    for kind, limit in limits.items():
        with datamodels.open(files[kind]) as ours, datamodels.open(run.files[kind]) as theirs:
            assert [s.name for s in ours.slits] == [s.name for s in theirs.slits]
            for a, b in zip(ours.slits, theirs.slits, strict=True):
                for var in ("data", "err", "wavelength"):
                    rel = _max_rel(getattr(a, var), getattr(b, var), floor=var == "data")
                    assert rel < limit, (kind, a.name, var)
                    worst[kind] = max(worst[kind], rel)
                if kind == "cal":
                    np.testing.assert_array_equal(a.dq, b.dq)
                for label in ("slitlet_id", "source_id", "source_name", "source_type",
                              "shutter_state", "quadrant", "stellarity"):  # fmt: skip
                    assert getattr(a, label) == getattr(b, label), (kind, a.name, label)
    with datamodels.open(files["x1d"]) as ours, datamodels.open(run.files["x1d"]) as theirs:
        assert len(ours.spec) == len(theirs.spec) == N_ON_DETECTOR
        for a, b in zip(ours.spec, theirs.spec, strict=True):
            for label in ("name", "slitlet_id", "source_id", "source_name", "source_type"):
                assert getattr(a, label) == getattr(b, label), (a.name, label)
            for col in ("WAVELENGTH", "FLUX", "FLUX_ERROR", "SURF_BRIGHT", "NPIXELS"):
                mine = np.asarray(a.spec_table[col], float)
                floor = col in ("FLUX", "SURF_BRIGHT")
                rel = _max_rel(mine, np.asarray(b.spec_table[col], float), floor=floor)
                assert rel < 1e-4, (a.name, col)
                worst["x1d"] = max(worst["x1d"], rel)
    print("whole chain, largest relative differences:", {k: f"{v:.1e}" for k, v in worst.items()})
    n = assert_s2d_keywords_and_dq(files["s2d"], run.files["s2d"])
    print(f"s2d: {n} per-slit keywords equal")
