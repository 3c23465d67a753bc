"""Reference files as a user has them: only ``--refs DIR``, or only a CRDS cache (``CRDS_PATH``).

The demo inputs of MIRI LRS FS and NIRSpec FS, calibrated with nothing but the
demo's reference folder (or a CRDS cache made of it), give the products the
demo made with its explicit reference mapping.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from crds_cache_helpers import cache_from_folder

from spec2x.cli import main
from spec2x.io.fits import open_product

SUFFIXES = ("cal", "s2d", "x1d")
EXP_TYPE = {"mir_lrs_fs": "MIR_LRS-FIXEDSLIT", "nrs_fs": "NRS_FIXEDSLIT"}


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _refs_dir(manifest):
    return Path(manifest["products"]["quicklook"]).parent / "refs"


def _assert_same_products(manifest, folder: Path):
    for suffix in SUFFIXES:
        demo = open_product(manifest["products"][suffix])
        ours = open_product(folder / Path(manifest["products"][suffix]).name)
        assert set(ours.data_vars) == set(demo.data_vars), suffix
        for name in demo.data_vars:
            np.testing.assert_array_equal(ours[name].values, demo[name].values, err_msg=name)
        steps = {k: v for k, v in demo.attrs.items() if k.startswith("S_")}
        assert {k: ours.attrs.get(k) for k in steps} == steps, suffix


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(EXP_TYPE))
def test_folder_alone_gives_the_demo_products(demo_runs, mode, tmp_path, capsys):
    manifest = demo_runs(mode)
    run = ("run", manifest["input"], "--refs", _refs_dir(manifest), "--output-dir", tmp_path)
    if mode == "nrs_fs":
        # The demo says apcorr=N/A and its folder has none; CRDS has an apcorr for NIRSpec FS,
        # so the folder alone is refused, naming the type, and the user says N/A as the demo did.
        code, out, err = _run(capsys, *run)
        assert code == 2
        assert "no apcorr reference for" in err
        assert "--ref apcorr=N/A" in err
        run = (*run, "--ref", "apcorr=N/A")
    code, out, err = _run(capsys, *run)
    assert code == 0, err
    _assert_same_products(manifest, tmp_path)


@pytest.mark.slow
def test_lrs_folder_without_area_and_pathloss(demo_runs, tmp_path, capsys):
    # The files jwst used for MIRI LRS FS when CRDS said N/A for area and pathloss: the run goes
    # on, saying once per type what it leaves out; --strict-refs refuses.
    manifest = demo_runs("mir_lrs_fs")
    folder = tmp_path / "refs"
    shutil.copytree(_refs_dir(manifest), folder)
    for name in ("spec2x_miri_lrs_area.fits", "spec2x_miri_lrs_pathloss.fits"):
        (folder / name).unlink()
    code, out, err = _run(
        capsys, "run", manifest["input"], "--refs", folder, "--output-dir", tmp_path / "o"
    )
    assert code == 0, err
    assert out.count("photom: no area reference in") == 1
    assert out.count("pathloss: no pathloss reference in") == 1
    cal = open_product(tmp_path / "o" / Path(manifest["products"]["cal"]).name)
    assert cal.attrs["S_PTHLOS"] == "SKIPPED"
    assert cal.attrs["S_PHOTOM"] == "COMPLETE"

    code, out, err = _run(
        capsys, "run", manifest["input"], "--refs", folder, "--strict-refs",
        "--output-dir", tmp_path / "strict",
    )  # fmt: skip
    assert code == 2
    assert "no pathloss reference for" in err
    assert "--ref pathloss=N/A" in err


@pytest.mark.slow
@pytest.mark.parametrize("use_crds", [True, False], ids=["crds_package", "own_reader"])
@pytest.mark.parametrize("mode", sorted(EXP_TYPE))
def test_crds_cache_alone_gives_the_demo_products(
    demo_runs, mode, use_crds, tmp_path, capsys, monkeypatch
):
    if not use_crds:
        monkeypatch.setattr("spec2x.io.crds_cache._crds_available", lambda: False)
    manifest = demo_runs(mode)
    not_applicable = ("apcorr",) if mode == "nrs_fs" else ()
    cache = cache_from_folder(
        tmp_path / "crds", _refs_dir(manifest), EXP_TYPE[mode], not_applicable
    )
    monkeypatch.setenv("CRDS_PATH", str(cache))
    monkeypatch.setenv("CRDS_SERVER_URL", "https://localhost:9")
    monkeypatch.delenv("CRDS_CONTEXT", raising=False)
    code, out, err = _run(capsys, "run", manifest["input"], "--output-dir", tmp_path / "o")
    assert code == 0, err
    _assert_same_products(manifest, tmp_path / "o")
    if mode == "nrs_fs":
        assert out.count("extract_1d: CRDS (jwst_0001.pmap) says apcorr is N/A") == 1
