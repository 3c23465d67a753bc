"""Benchmark the slits layout: memory held by padded groups vs one padded stack, and file I/O.

Run ``python benchmarks/slit_layout.py`` (``--quick`` for a small smoke run).
Two seeded synthetic layouts (:mod:`spec2x.synthetic.slit_layout`):

- ``mos``: 500 MOS-like slitlets, heights 5-40, lengths 300-2048 pixels;
- ``wfss``: 2000 WFSS-like cut-outs, heights 5-200, lengths 100-2048 pixels
  (two spectral orders per source).

For each it prints the pixels held per image plane divided by the pixels of
the cut-outs themselves, for today's single padded stack (computed, never
allocated) and for the padded groups of :mod:`spec2x.slits` (target
<= 1.25; the bytes of every ``(slit, y, x)`` array of the built product are
counted), the number of groups, and the times to build the product, write
and read it as one jwst MultiSlitModel FITS file and as a Zarr store (every
slit with its own gwcs), and to run a trivial step over all groups with
:func:`spec2x.slits.map_groups` (DataTree overhead), also with one group per
slit for comparison.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from spec2x.io import open_product, open_zarr, to_zarr, write_fits
from spec2x.slits import groups, held_pixels, map_groups, plan_groups
from spec2x.synthetic.slit_layout import cutout_sizes, slit_layout

#: name -> (slits, spectral orders per source, pixel arrays made).  WFSS holds 220 million
#: cut-out pixels: with all six arrays and the wavelength plane (32 bytes a pixel) it would
#: need 7 GB and more again to read it back, so its I/O is timed on SCI and DQ only.
CASES = {
    "mos": (500, 1, ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")),
    "wfss": (2000, 2, ("sci", "dq")),
}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def held_bytes(product: Any) -> tuple[int, int]:
    """Bytes of every (slit, y, x) array held, and bytes of their cut-out pixels only."""
    held = cut = 0
    for g in groups(product):
        area = int((g["ysize"].values.astype(np.int64) * g["xsize"].values).sum())
        for var in g.variables.values():
            if {"slit", "y", "x"} <= set(var.dims):
                held += var.nbytes
                cut += (
                    area
                    * var.dtype.itemsize
                    * var.size
                    // (g.sizes["slit"] * g.sizes["y"] * g.sizes["x"])
                )
    return held, cut


def _double(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign(sci=ds["sci"] * 2)


def run_case(
    name: str, n: int, orders: int, variables: tuple[str, ...], folder: Path
) -> list[tuple[str, str]]:
    ys, xs = cutout_sizes(name, n, seed=0)
    cut = int((ys * xs).sum())
    rows = [
        (f"{name}: slits", f"{n} (heights {ys.min()}-{ys.max()}, lengths {xs.min()}-{xs.max()})"),
        (f"{name}: one padded stack (today) / cut-outs", f"{n * ys.max() * xs.max() / cut:.2f}"),
    ]
    plan = plan_groups(ys, xs)
    rows.append(
        (f"{name}: padded groups / cut-outs (plan)", f"{held_pixels(ys, xs, plan) / cut:.3f}")
    )
    wavelength = len(variables) > 2
    t_build, product = timed(
        lambda: slit_layout(
            ys, xs, seed=1, orders=orders, variables=variables, wavelength=wavelength
        )
    )
    held, cutb = held_bytes(product)
    rows.append((f"{name}: groups", f"{len(groups(product))}"))
    rows.append((f"{name}: bytes held / cut-out bytes (built)", f"{held / cutb:.3f}"))
    stack = cutb * n * int(ys.max()) * int(xs.max()) / cut
    arrays = ", ".join([*variables, "wavelength"] if wavelength else variables)
    rows.append((f"{name}: arrays", arrays))
    rows.append(
        (f"{name}: held [MB] (one stack would hold)", f"{held / 1e6:.0f} ({stack / 1e6:.0f})")
    )
    rows.append((f"{name}: build (synthetic, with {n} gwcs) [s]", f"{t_build:.2f}"))
    rows += io_rows(name, product, folder)
    del product
    rows += overhead(name, ys, xs)
    return rows


def io_rows(name: str, product: Any, folder: Path) -> list[tuple[str, str]]:
    """FITS and Zarr write and read times of ``product``, and whether the round trips are exact."""
    rows = []
    path = folder / f"{name}_cal.fits"
    t_w, _ = timed(lambda: write_fits(product, path))
    t_r, back = timed(lambda: open_product(path))
    same = all(a.equals(b) for a, b in zip(groups(back), groups(product), strict=True))
    rows.append(
        (
            f"{name}: FITS write / read [s] (size MB)",
            f"{t_w:.2f} / {t_r:.2f} ({path.stat().st_size / 1e6:.0f})",
        )
    )
    rows.append((f"{name}: FITS round trip exact", str(same)))
    store = folder / f"{name}_cal.zarr"
    t_zw, _ = timed(lambda: to_zarr(product, store))
    t_zr, lazy = timed(lambda: open_zarr(store))
    t_zl, loaded = timed(lambda: [g.load() for g in groups(lazy)])
    same = all(a.equals(b) for a, b in zip(loaded, groups(product), strict=True))
    rows.append((f"{name}: Zarr write / open / load [s]", f"{t_zw:.2f} / {t_zr:.2f} / {t_zl:.2f}"))
    rows.append((f"{name}: Zarr round trip exact", str(same)))
    return rows


def overhead(name: str, ys: np.ndarray, xs: np.ndarray) -> list[tuple[str, str]]:
    """Time of a trivial step over the planned groups and over one group per slit (SCI only)."""
    rows = []
    for label, pad in (("planned groups", 1.25), ("one group per slit shape", 1.0)):
        product = slit_layout(
            ys, xs, seed=1, max_padding=pad, with_wcs=False, variables=("sci",), wavelength=False
        )
        t_tree, _ = timed(lambda product=product: groups(product))
        t_map, _ = timed(lambda product=product: map_groups(_double, product))
        n = len(groups(product))
        rows.append((f"{name}: map_groups(step), {label} ({n}) [s]", f"{t_map:.3f}"))
        del product
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 and 200 slits")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="spec2x-slits-"))
    rows: list[tuple[str, str]] = []
    try:
        for name, (n, orders, variables) in CASES.items():
            rows += run_case(name, n // 10 if args.quick else n, orders, variables, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
