"""Helpers of the end-to-end tests: run the demo once per mode, compare products with jwst."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from spec2x.cli import main


def run_demo_cli(mode: str, folder: Path) -> dict[str, Any]:
    """``spec2x demo MODE --output-dir FOLDER``; return its manifest (``demo.json``) with
    what it printed under ``"stdout"``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo", mode, "--output-dir", str(folder)])
    assert code == 0, f"spec2x demo {mode} exited with {code}:\n{out.getvalue()}"
    manifest = json.loads((folder / "demo.json").read_text())
    manifest["stdout"] = out.getvalue()
    return manifest


def truth(manifest: dict[str, Any], wavelength: Any) -> np.ndarray:
    """Injected F_nu (Jy) of a demo at ``wavelength`` (µm)."""
    t = manifest["truth"]
    return np.interp(wavelength, t["wavelength_um"], t["flux_jy"], left=np.nan, right=np.nan)


def binned_ratio(
    wave: Any, flux: Any, expected: Any, lo: float, hi: float, nbins: int = 10
) -> np.ndarray:
    """Median of flux / expected in ``nbins`` equal wavelength bins over [lo, hi] µm."""
    wave, flux, expected = (np.asarray(a, np.float64).ravel() for a in (wave, flux, expected))
    edges = np.linspace(lo, hi, nbins + 1)
    good = np.isfinite(flux) & np.isfinite(expected) & (expected != 0)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        use = good & (wave >= a) & (wave < b)
        assert use.sum() >= 3, f"too few spectral elements in {a:.2f}-{b:.2f} um"
        out.append(np.median(flux[use] / expected[use]))
    return np.asarray(out)


def max_rel(ours: Any, theirs: Any) -> float:
    """Largest |ours - theirs| / |theirs| over pixels finite and nonzero in both."""
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    both = np.isfinite(a) & np.isfinite(b) & (b != 0)
    assert both.any(), "no pixel to compare"
    return float(np.max(np.abs(a[both] - b[both]) / np.abs(b[both])))
