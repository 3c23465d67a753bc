"""The ``cubepar`` reference: cube sampling and weighting parameters by band.

A CRDS ``cubepar`` file (jwst's ``MiriIFUCubeParsModel``,
``NirspecIFUCubeParsModel``) holds, per band (MIRI: ``channel`` and
``band``; NIRSpec: ``DISPERSER`` and ``FILTER``):

- ``CUBEPAR``: ``SPAXELSIZE`` (arcsec), ``SPECTRALSTEP``, ``WAVEMIN``,
  ``WAVEMAX`` (µm): the cube's spatial and spectral sampling and range;
- ``CUBEPAR_MSM``: ``ROISPATIAL`` (arcsec), ``ROISPECTRAL`` (µm), ``POWER``,
  ``SOFTRAD`` (arcsec) of the modified Shepard weighting;
- ``CUBEPAR_EMSM``: ``ROISPATIAL``, ``ROISPECTRAL``, ``SCALERAD`` (arcsec) of
  the exponential one.

The multi-band wavelength tables (``MULTICHANNEL_*``) serve cubes that join
bands, which spec2's one-cube-per-band default never builds; they are not read.
Values are float32 in the file and kept as Python floats of those values,
as jwst computes with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputFileError, ReferenceMismatchError
from ..io.references import Reference

__all__ = ["BandPars", "CubePars", "read_cubepar"]


@dataclass(frozen=True)
class BandPars:
    """Cube parameters of one band.

    Attributes
    ----------
    spaxel : spatial sampling (arcsec).
    step : spectral sampling (µm).
    wavemin, wavemax : wavelength range of the cube (µm).
    msm : ``ROISPATIAL``, ``ROISPECTRAL``, ``POWER``, ``SOFTRAD`` (None if absent).
    emsm : ``ROISPATIAL``, ``ROISPECTRAL``, ``SCALERAD`` (None if absent).
    """

    spaxel: float
    step: float
    wavemin: float
    wavemax: float
    msm: tuple[float, float, float, float] | None = None
    emsm: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class CubePars:
    """A ``cubepar`` file: band key -> :class:`BandPars`.

    Keys are lowercase pairs: MIRI ``("1", "short")``, NIRSpec ``("g140m", "f100lp")``.
    """

    name: str
    bands: Mapping[tuple[str, str], BandPars]

    def band(self, key: tuple[str, str]) -> BandPars:
        """The parameters of ``key``; a clear error if the file has none."""
        found = self.bands.get((key[0].lower(), key[1].lower()))
        if found is None:
            raise ReferenceMismatchError(
                f"cubepar {self.name} has no row for {key[0]} {key[1]}; give the cubepar "
                "file of this instrument"
            )
        return found


def _rows(
    hdul: Any, extname: str, columns: tuple[str, str], fields: tuple[str, ...]
) -> dict[tuple[str, str], Any]:
    """The table's ``fields`` by (column 1, column 2) key, lower case; read column by column
    (a FITS table's rows are slow to walk one by one)."""
    if extname not in hdul:
        return {}
    data = hdul[extname].data
    keys = zip(*(np.asarray(data[c]).tolist() for c in columns), strict=True)
    values = zip(*(np.asarray(data[f], np.float64).tolist() for f in fields), strict=True)
    return {
        (str(a).strip().lower(), str(b).strip().lower()): tuple(row)
        for (a, b), row in zip(keys, values, strict=True)
    }


def read_cubepar(path: str, header: Mapping[str, Any]) -> Reference:
    """Open a ``cubepar`` reference (FITS) as a :class:`Reference` holding :class:`CubePars`.

    Raises
    ------
    InputFileError
        The file has no ``CUBEPAR`` table.
    """
    from astropy.io import fits

    nirspec = str(header.get("INSTRUME", "")).strip().upper() == "NIRSPEC"
    columns = ("DISPERSER", "FILTER") if nirspec else ("CHANNEL", "BAND")
    with fits.open(path, memmap=False) as hdul:
        if "CUBEPAR" not in hdul:
            raise InputFileError(f"{path} has no CUBEPAR table; give a CRDS cubepar file")
        sampling = _rows(
            hdul, "CUBEPAR", columns, ("SPAXELSIZE", "SPECTRALSTEP", "WAVEMIN", "WAVEMAX")
        )
        msm = _rows(hdul, "CUBEPAR_MSM", columns, ("ROISPATIAL", "ROISPECTRAL", "POWER", "SOFTRAD"))
        emsm = _rows(hdul, "CUBEPAR_EMSM", columns, ("ROISPATIAL", "ROISPECTRAL", "SCALERAD"))
    bands = {
        key: BandPars(
            spaxel=spaxel,
            step=step,
            wavemin=low,
            wavemax=high,
            msm=msm.get(key),
            emsm=emsm.get(key),
        )  # fmt: skip
        for key, (spaxel, step, low, high) in sampling.items()
    }
    name = str(path).rsplit("/", 1)[-1]
    return Reference("cubepar", str(path), dict(header), CubePars(name, bands))
