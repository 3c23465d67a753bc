"""A rate file of another mode given to the MIRI LRS chain: one clear line, exit 2, nothing written."""

import hashlib
from pathlib import Path

from spec2x.cli import main
from spec2x.io import open_exposure, write_fits


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_refused(rate: Path, refs_dir: Path, out: Path, capsys) -> str:
    """``spec2x run`` that must stop: exit 2, one line, input unchanged, nothing written."""
    before = _digest(rate)
    capsys.readouterr()
    status = main(["run", str(rate), "--refs", str(refs_dir), "--output-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert "Traceback" not in err[0]
    assert _digest(rate) == before
    assert not out.exists() or not list(out.glob("*.fits"))
    return err[0]


def test_other_mode_rate_with_lrs_references(demo_runs, tmp_path, capsys):
    manifest = demo_runs("mir_lrs_fs")
    refs_dir = Path(manifest["refs"]["specwcs"]).parent
    lrs_rate = next(Path(manifest["input"]).parent.glob("*_rate.fits"))
    nirspec = open_exposure(lrs_rate)
    nirspec.attrs.update(
        INSTRUME="NIRSPEC",
        DETECTOR="NRS1",
        EXP_TYPE="NRS_FIXEDSLIT",
        FILTER="F100LP",
        GRATING="G140M",
    )
    rate = write_fits(nirspec, tmp_path / "jw01_nrs1_rate.fits")
    line = _run_refused(rate, refs_dir, tmp_path / "out", capsys)
    assert "NRS_FIXEDSLIT" in line or "NIRSPEC" in line
    assert "reference" in line


def test_nirspec_run_without_a_disperser_reference(demo_runs, tmp_path, capsys):
    import shutil

    manifest = demo_runs("nrs_fs")
    refs = {k: Path(v) for k, v in manifest["refs"].items() if v not in (None, "N/A")}
    partial = tmp_path / "refs"
    partial.mkdir()
    for reftype, path in refs.items():
        if reftype != "disperser" and path.is_file():
            shutil.copy(path, partial / path.name)
    rate = next(Path(manifest["input"]).parent.glob("*nod1*_rate.fits"))
    assert "disperser" in _run_refused(rate, partial, tmp_path / "out", capsys)


def test_nirspec_run_missing_several_references_says_all_at_once(demo_runs, tmp_path, capsys):
    import shutil

    manifest = demo_runs("nrs_fs")
    partial = tmp_path / "refs"
    shutil.copytree(Path(manifest["products"]["quicklook"]).parent / "refs", partial)
    for pattern in ("*disperser*", "*sflat*", "*photom*"):
        for path in partial.glob(pattern):
            path.unlink()
    rate = next(Path(manifest["input"]).parent.glob("*nod1*_rate.fits"))
    line = _run_refused(rate, partial, tmp_path / "out", capsys)
    for part in (
        "3 reference(s)",
        "disperser (assign_wcs)",
        "sflat (flat_field)",
        "photom (photom)",
    ):
        assert part in line


def test_an_all_nan_exposure_is_calibrated_with_a_warning(demo_runs, tmp_path, capsys):
    manifest = demo_runs("mir_lrs_slitless")
    refs_dir = Path(manifest["products"]["quicklook"]).parent / "refs"
    ds = open_exposure(manifest["input"])
    rate = write_fits(ds.assign(sci=ds["sci"] * float("nan")), tmp_path / "jw_nan_rateints.fits")
    capsys.readouterr()
    code = main(["run", str(rate), "--refs", str(refs_dir), "--output-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0, err  # jwst calibrates it too; spec2x says what it sees
    assert err.startswith(
        "spec2x: warning: jw_nan_rateints.fits: the science array holds no finite"
    )
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "jw_nan_calints.fits",
        "jw_nan_x1dints.fits",
    ]
