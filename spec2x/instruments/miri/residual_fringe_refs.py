"""Reader of the MIRI MRS ``fringefreq`` reference (jwst's ``FringeFreqModel``).

Tables ``RFC_FREQ_SHORT``, ``RFC_FREQ_MEDIUM``, ``RFC_FREQ_LONG``: one row per
slice (``slice`` = 100 * channel + n) with a value per fringe component in
``ffreq dffreq max_nfringes min_snr pgram_res``; ``MAX_AMP``: the largest
fringe amplitude allowed by wavelength (``wavelength amplitude``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io import fits

from ...errors import InputFileError
from ...io.references import Reference
from .residual_fringe import SliceFringes

__all__ = ["FringeFreq", "read_fringefreq"]

_ROW_COLUMNS = ("ffreq", "dffreq", "max_nfringes", "min_snr", "pgram_res")


@dataclass(frozen=True)
class FringeFreq:
    """Content of a ``fringefreq`` reference.

    Attributes
    ----------
    bands : ``SHORT``/``MEDIUM``/``LONG`` -> slice number -> its row.
    max_amp : (wavelength µm, amplitude), increasing in wavelength.
    """

    bands: Mapping[str, Mapping[int, SliceFringes]]
    max_amp: tuple[np.ndarray, np.ndarray]


def _column(data: Any, name: str, where: str) -> np.ndarray:
    have = {n.lower(): n for n in data.dtype.names}
    if name not in have:
        raise InputFileError(
            f"{where} lacks the column {name!r}; give a jwst-format fringefreq file"
        )
    return np.asarray(data[have[name]])


def _rows(data: Any, where: str) -> dict[int, SliceFringes]:
    cols = {n: np.atleast_1d(_column(data, n, where)) for n in ("slice", *_ROW_COLUMNS)}
    rows = {}
    for i, number in enumerate(cols["slice"]):
        vals = {n: np.atleast_1d(cols[n][i]) for n in _ROW_COLUMNS}
        rows[int(round(float(number)))] = SliceFringes(
            ffreq=vals["ffreq"].astype(np.float64),
            dffreq=vals["dffreq"].astype(np.float64),
            max_nfringes=vals["max_nfringes"].astype(np.int64),
            min_snr=vals["min_snr"].astype(np.float64),
            pgram_res=vals["pgram_res"].astype(np.float64),
        )
    return rows


def read_fringefreq(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI MRS ``fringefreq`` reference as :class:`FringeFreq`."""
    with fits.open(path, memmap=False) as hdul:
        names = [f"RFC_FREQ_{b}" for b in ("SHORT", "MEDIUM", "LONG")]
        missing = [n for n in (*names, "MAX_AMP") if n not in hdul or hdul[n].data is None]
        if missing:
            raise InputFileError(
                f"fringefreq reference {path} lacks the tables {missing}; "
                "give the jwst-format MIRI MRS fringefreq file"
            )
        bands = {n.rsplit("_", 1)[1]: _rows(hdul[n].data, f"{path} {n}") for n in names}
        amp = hdul["MAX_AMP"].data
        wave = _column(amp, "wavelength", f"{path} MAX_AMP").astype(np.float64)
        value = _column(amp, "amplitude", f"{path} MAX_AMP").astype(np.float64)
    return Reference("fringefreq", path, header, FringeFreq(bands, (wave, value)))
