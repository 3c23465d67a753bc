"""A transit in the white-light curve of a MIRI LRS slitless time series.

Synthetic observation with a 1 % transit; the whole chain gives the
``x1dints`` spectra; summing them over 5-10 µm gives the white-light curve,
whose depth comes back as injected.  Writes ``white_light.png``.

    python examples/tso_white_light.py [FOLDER]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

from spec2x.demo import white_light
from spec2x.pipeline import spec2
from spec2x.plot import plot_white_light
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso


def main(folder: Path) -> None:
    obs = make_lrs_slitless_tso(folder, seed=5, nints=40, depth=0.01)
    x1dints = spec2(obs.exposures[0], obs.references)["x1dints"]
    curve, sigma = white_light(x1dints, (5.0, 10.0))
    out = obs.light_curve == 1.0
    bottom = obs.light_curve == obs.light_curve.min()
    depth = 1.0 - curve[bottom].mean() / curve[out].mean()
    error = (
        np.hypot(
            sigma[out].mean() / np.sqrt(out.sum()), sigma[bottom].mean() / np.sqrt(bottom.sum())
        )
        / curve[out].mean()
    )
    print(f"transit depth: {depth:.4f} +- {error:.4f} (injected {obs.depth:.4f})")
    ax = plot_white_light(x1dints)
    ax.figure.savefig(folder / "white_light.png", dpi=100)
    print(f"wrote {folder / 'white_light.png'}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
