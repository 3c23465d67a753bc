"""Every product kind spec2x writes reads back equal, in a plain install (no test extras).

Run by ``tests/io/test_io_plain_install.py`` with the Python of a virtual
environment holding only ``pip install <repo>``: no pytest, specutils, ndcube
or jwst, which once hid a product that would not reopen (asdf's lazy arrays,
``Attempt to read block data from missing block``).  Usage::

    python plain_install_check.py OUTPUT_FOLDER [--all-modes] [--realdata DIR]

Products: the I/O builders of ``products.py`` (exposure, slits, s2d, x1d,
x1dints, cube, one-slit calints, IFU cal), and the chain's own products and
step outputs on synthetic MIRI LRS fixed slit, MIRI LRS slitless and NIRSpec
BOTS exposures (``--all-modes`` adds NIRSpec fixed slit), each also with
adversarial metadata (targets at RA/Dec 0 and 360, NaN keywords, long and
non-ASCII strings), and the products of NIRISS SOSS (``_calints``,
``_x1dints``), NIRCam and NIRISS WFSS (``_cal``, ``_x1d``) and NIRSpec MOS
(``_cal``, ``_s2d``, ``_x1d``), and the MIRI MRS
``_s3d`` of cube_build (``mode_products.py``; the cube only with
``--realdata DIR``, the ``shared/realdata`` folder holding the FLT9 MRS
files).  Each is written as FITS and Zarr and read back; any difference is
printed and the exit status is 1.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))

import mode_products  # noqa: E402
import products  # noqa: E402

from spec2x.io import open_product, open_zarr, to_zarr, write_fits  # noqa: E402
from spec2x.pipeline import spec2  # noqa: E402

#: What a plain install must not have (they hid the bug this check guards against).
ABSENT = ("pytest", "specutils", "ndcube", "jwst")


def adversarial(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with hostile metadata: RA/Dec 0 and 360, NaN, long and non-ASCII strings."""
    out = ds.assign_attrs(
        TARG_RA=0.0,
        TARG_DEC=-0.0,
        RA_REF=360.0,
        DEC_REF=0.0,
        RA_V1=359.99999999999994,
        NANKEY=float("nan"),
        TITLE="a " + "very long title, " * 20,
        OBSERVER="Zoë Ångström",
    )
    lead = next((d for d in ds.dims if d in ("integration", "slit", "spectrum")), None)
    if lead is not None:
        n = ds.sizes[lead]
        ra = np.resize([0.0, 360.0, 1e-300, -0.0], n)
        dec = np.resize([-0.0, 0.0, 90.0, -90.0], n)
        out = out.assign_coords(slit_ra=(lead, ra), slit_dec=(lead, dec))
    return out


def built() -> Iterator[tuple[str, xr.Dataset]]:
    """The small products the I/O tests build, one per product kind."""
    yield "rateints", products.rateints()
    yield "slits_cal", products.slits()
    yield "s2d", products.s2d(nslit=2)
    yield "x1d", products.x1d()
    yield "x1dints", products.x1dints()
    yield "s3d", products.cube()
    yield "calints_slit", products.calints_slit()
    yield "ifu_cal", products.ifu_cal()


def chain(folder: Path, all_modes: bool, realdata: Path | None) -> Iterator[tuple[str, Any]]:
    """Products and step outputs of spec2 on synthetic exposures of each mode."""
    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso
    from spec2x.synthetic.nirspec_bots import make_nirspec_bots

    runs: list[tuple[str, Callable[[], tuple[Any, Any]]]] = []

    def lrs_fs() -> tuple[Any, Any]:
        obs = make_lrs_fixedslit(folder / "lrs_fs", seed=1)
        return obs.association[0], obs.references

    def lrs_tso() -> tuple[Any, Any]:
        obs = make_lrs_slitless_tso(folder / "lrs_tso", seed=1, nints=3)
        return obs.exposures[0], obs.references

    def bots() -> tuple[Any, Any]:
        obs = make_nirspec_bots(1, nints=3, folder=folder / "bots")
        return obs.rateints_path, {**obs.refs, "extract1d": "N/A", "apcorr": "N/A"}

    runs += [("mir_lrs_fs", lrs_fs), ("mir_lrs_slitless", lrs_tso), ("nrs_bots", bots)]
    if all_modes:
        from spec2x.synthetic.nirspec import make_nirspec_fs

        def nrs_fs() -> tuple[Any, Any]:
            obs = make_nirspec_fs(1, subarray="SUBS200A1", folder=folder / "nrs_fs")
            return obs.rate_paths[0], {**obs.refs, "extract1d": "N/A", "apcorr": "N/A"}

        runs.append(("nrs_fs", nrs_fs))
    for mode, make in runs:
        science, refs = make()
        steps: list[tuple[str, xr.Dataset]] = []
        result = spec2(
            science, refs, on_step=lambda name, ds, steps=steps: steps.append((name, ds))
        )
        for name, ds in steps:
            yield f"{mode}_{name}", ds
        for suffix, ds in result.items():
            yield f"{mode}_{suffix}", ds
    yield from mode_products.run_modes(folder)  # the products only: the check stays short
    if realdata is not None:
        yield "mir_mrs_s3d", mode_products.mrs_cube(folder / "mir_mrs", realdata)


def check_fits(label: str, ds: Any, folder: Path) -> None:
    path = write_fits(ds, folder / f"{label}.fits")
    back = open_product(path)
    _same(label + " (FITS)", ds, back, file_attrs=True)


def check_zarr(label: str, ds: Any, folder: Path) -> None:
    store = to_zarr(ds, folder / f"{label}.zarr", overwrite=True)
    back = open_zarr(store)
    _same(label + " (Zarr)", ds, back, file_attrs=False)


def _parts(value: Any) -> list[xr.Dataset]:
    if isinstance(value, xr.DataTree):
        from spec2x.slits import groups

        return list(groups(value))
    return [value]


def _same(label: str, want: Any, got: Any, *, file_attrs: bool) -> None:
    wants, gots = _parts(want), _parts(got)
    assert len(wants) == len(gots), f"{label}: {len(gots)} groups read, {len(wants)} written"
    for a, b in zip(wants, gots, strict=True):
        b = b.load()
        if file_attrs:  # the reader names the file and the model it was written as
            a = a.assign_attrs(FILENAME=b.attrs.get("FILENAME"), DATAMODL=b.attrs.get("DATAMODL"))
        xr.testing.assert_identical(_nan_named(b), _nan_named(a))


def _nan_named(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with NaN attrs spelled "NaN" (NaN != NaN would fail any comparison)."""
    out = ds.copy()
    out.attrs = _spelled(ds.attrs)
    for name in out.variables:
        out.variables[name].attrs = _spelled(ds.variables[name].attrs)
    return out


def _spelled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _spelled(v) for k, v in value.items()}
    if isinstance(value, float) and np.isnan(value):
        return "NaN"
    return value


def main() -> int:
    out = Path(sys.argv[1])
    all_modes = "--all-modes" in sys.argv
    realdata = (
        Path(sys.argv[sys.argv.index("--realdata") + 1]) if "--realdata" in sys.argv else None
    )
    present = [name for name in ABSENT if importlib.util.find_spec(name) is not None]
    if present:
        print(f"not a plain install: {', '.join(present)} importable")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    failures, checked, start = [], 0, time.perf_counter()
    items = [*built(), *chain(out / "inputs", all_modes, realdata)]
    for label, ds in items:
        for tag, value in ((label, ds), (label + "_adversarial", adversarial_any(ds))):
            for check in (check_fits, check_zarr):
                checked += 1
                try:
                    check(tag, value, out)
                except Exception:
                    failures.append(f"{tag} {check.__name__}:\n{traceback.format_exc(limit=4)}")
    for failure in failures:
        print(failure)
    print("products:", " ".join(label for label, _ in items))
    print(f"{checked} round trips of {len(items)} products, {len(failures)} failed, "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return 1 if failures else 0


def adversarial_any(value: Any) -> Any:
    if isinstance(value, xr.DataTree):
        from spec2x.slits import to_tree

        return to_tree([adversarial(g) for g in _parts(value)])
    return adversarial(value)


if __name__ == "__main__":
    sys.exit(main())
