"""Derive ``spec2x/synthetic/niriss_data/soss_trace.json`` from the real SOSS spectrace.

Run once (``python tests/niriss_soss/derive_trace_table.py``); the synthetic
SOSS references are built from the table it writes.  Per order it keeps every
``STEP[order]``-th row of jwst_niriss_spectrace_0022.fits (in-flight,
SUBSTRIP96) whose column lies on the detector (with a margin), rows moved to
SUBSTRIP256 (``Y + 10``), and the throughput every 0.05 µm.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from astropy.io import fits

from tests.helpers import REALDATA

STEP = {1: 8, 2: 16, 3: 30}
OUT = Path(__file__).resolve().parents[2] / "spec2x/synthetic/niriss_data/soss_trace.json"


def main() -> None:
    table: dict[str, dict[str, list[float]]] = {}
    with fits.open(REALDATA / "niriss" / "jwst_niriss_spectrace_0022.fits") as hdul:
        for order in (1, 2, 3):
            data = hdul["ORDER", order].data
            x, y, wl = (np.asarray(data[c], float) for c in ("X", "Y", "WAVELENGTH"))
            thru = np.asarray(data["THROUGHPUT"], float)
            on = np.flatnonzero((x >= -24) & (x <= 2071))
            keep = np.unique(np.r_[on[:: STEP[order]], on[-1]])
            table[str(order)] = {
                "x": np.round(x[keep], 4).tolist(),
                "y": np.round(y[keep] + 10.0, 4).tolist(),
                "wavelength": np.round(wl[keep], 6).tolist(),
                "throughput_wavelength": np.round(wl[::50], 6).tolist(),
                "throughput": np.round(thru[::50], 6).tolist(),
            }
    OUT.write_text(json.dumps(table, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
