"""``spec2(on_product=...)``: the ``_cal`` handed to the writer once it is final, before
extract_1d (so the writer's memory is freed before extract_1d's peak); the same files as
when every product is written at the end."""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

import pytest
import xarray as xr

from spec2x.io.streaming import write_products
from spec2x.pipeline import spec2
from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_flat, write_nircam_wfss_photom

_NA = ("bkg", "extract1d", "apcorr", "area")
#: When a file was written (the ``DATE`` cards, the ASDF tree's ``date:``), masked to compare.
_DATE = re.compile(rb"(DATE    = '|date: ')[0-9T:.-]+'")


def _masked(path: Path) -> bytes:
    return _DATE.sub(rb"\1'", path.read_bytes())


@pytest.fixture(scope="module")
def chain(wfss, tmp_path_factory):
    """The GRISMR exposure's rate file and references (100 sources)."""
    files = wfss("GRISMR")
    tmp = tmp_path_factory.mktemp("early")
    refs = {k: str(v) for k, v in files["refs"].items()}
    refs |= {"photom": str(write_nircam_wfss_photom(tmp / "photom.fits")),
             "flat": str(write_nircam_wfss_flat(tmp / "flat.fits"))}  # fmt: skip
    return files["rate"], refs | dict.fromkeys(_NA, "N/A")


def test_cal_written_before_extract_1d_same_files(chain, tmp_path, caplog):
    rate, refs = chain
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    handed: list[str] = []

    def on_product(suffix: str, ds: xr.Dataset) -> bool:
        assert not any(r.getMessage().startswith("extract_1d") for r in caplog.records)
        handed.append(suffix)
        write_products({suffix: ds}, early, "nrc", "fits")
        return True

    with contextlib.chdir(rate.parent), caplog.at_level(logging.INFO, "spec2x"):
        rest = spec2(rate, refs, on_product=on_product)
        write_products(rest, early, "nrc", "fits")
        kept = spec2(rate, refs, on_product=lambda suffix, ds: False)
        write_products(kept, late, "nrc", "fits")
    assert handed == ["cal"]
    assert sorted(rest) == ["x1d"]
    assert sorted(kept) == ["cal", "x1d"]
    for name in ("nrc_cal.fits", "nrc_x1d.fits"):
        assert _masked(early / name) == _masked(late / name), name
