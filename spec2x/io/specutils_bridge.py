"""Spectra products (``x1d``, ``x1dints``) as specutils ``Spectrum`` objects.

specutils reads jwst's ``_x1d`` but not ``_x1dints`` (nor spec2x's Datasets).
:func:`to_specutils` gives one ``Spectrum`` per spectrum of the product: per
integration of a time series, per slit/source and spectral order otherwise.
specutils is optional: it is imported only here, when asked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..datamodel import kind
from ..errors import ParameterError

__all__ = ["to_specutils"]

#: Per-spectrum coords copied into each Spectrum's ``meta``.
_META_COORDS = ("integration", "slit_name", "source_id", "spectral_order", "source_type")


def to_specutils(
    spectra: xr.Dataset, *, flux: str = "flux", error: str | None = "flux_error"
) -> list[Any]:
    """One ``specutils.Spectrum`` per integration (``x1dints``) or per slit and order (``x1d``).

    Parameters
    ----------
    spectra : an ``x1d``/``x1dints`` Dataset (:func:`spec2x.io.open_product`
        of a ``_x1d.fits``/``_x1dints.fits`` gives one): ``flux`` on
        ``(spectral,)``, ``(integration, spectral)`` or ``(slit, spectral)``,
        ``wavelength`` (µm) on the same dims or on ``spectral``.
    flux : the variable taken as the flux (``surf_bright`` for extended sources).
    error : its 1-sigma uncertainty (``StdDevUncertainty``); None for none.

    Returns
    -------
    list of Spectrum, in the order of the leading dim; each with
    ``spectral_axis`` in the wavelength's units, the flux in its units, a
    mask where the flux or wavelength is NaN (the padding of shorter spectra
    is dropped), and ``meta`` holding the spectrum's ``integration``,
    ``slit_name``, ``source_id``, ``spectral_order`` and ``source_type`` and
    the product's keywords under ``"header"``.

    Raises
    ------
    ParameterError
        Not a spectra product, or ``flux``/``error`` not in it.
    ImportError
        specutils is not installed (``pip install specutils``).
    """
    if not isinstance(spectra, xr.Dataset) or kind(spectra) != "spectra":
        raise ParameterError("to_specutils takes an x1d/x1dints Dataset (spectra product)")
    for name in (flux, error):
        if name is not None and name not in spectra:
            raise ParameterError(f"to_specutils: no {name!r} in the product; pass flux=/error=")
    try:
        import astropy.units as u
        from astropy.nddata import StdDevUncertainty
        from specutils import Spectrum
    except ImportError as exc:
        raise ImportError("to_specutils needs specutils: pip install specutils") from exc
    lead = [d for d in spectra[flux].dims if d != "spectral"]
    items = (
        [spectra]
        if not lead
        else [spectra.isel({lead[0]: i}) for i in range(spectra.sizes[lead[0]])]
    )
    out = []
    for one in items:
        wave = np.asarray(one["wavelength"].values, dtype=np.float64)
        values = np.asarray(one[flux].values, dtype=np.float64)
        keep = np.isfinite(wave)
        wave_unit = u.Unit(one["wavelength"].attrs.get("units") or "um")
        flux_unit = _unit(one[flux].attrs.get("units"))
        uncertainty = None
        if error is not None:
            sigma = np.asarray(one[error].values, dtype=np.float64)[keep]
            uncertainty = StdDevUncertainty(sigma * flux_unit)
        meta = {c: _plain(one[c].values) for c in _META_COORDS if c in one.coords}
        meta["header"] = {k: v for k, v in spectra.attrs.items() if k != "wcs"}
        out.append(
            Spectrum(
                flux=values[keep] * flux_unit,
                spectral_axis=wave[keep] * wave_unit,
                uncertainty=uncertainty,
                mask=~np.isfinite(values[keep]),
                meta=meta,
            )
        )
    return out


def _unit(text: Any) -> Any:
    import astropy.units as u

    if not text:
        return u.dimensionless_unscaled
    return u.Unit(str(text), parse_strict="silent")


def _plain(value: np.ndarray) -> Any:
    return value.item() if value.ndim == 0 else value.tolist()
