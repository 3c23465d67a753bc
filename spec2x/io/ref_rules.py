"""Which reference types a mode can do without: the rule behind ``--refs DIR``.

jwst asks CRDS for every reference type a step uses; for some types CRDS
answers N/A for some modes (MIRI LRS has no ``area`` table, only NIRSpec
MOS has a ``barshadow``, NIRSpec BOTS has no ``pathloss``), and the step
then runs without that correction, or is skipped, as jwst's step code says.
A folder of references cannot say N/A, so spec2x decides from the modes
table (:mod:`spec2x.modes`): a type listed here that the exposure's mode
does not need (by its traits, or named in its ``crds_na``), and that is
absent from the folder, is N/A, with one log line; a type the mode needs
(CRDS supplies one for it) and any type not listed here are errors naming
the type.  ``strict=True``
(``--strict-refs``) refuses every missing type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..modes import Mode, exp_type_of, lookup

__all__ = ["NEEDED", "OPTIONAL_REFTYPES", "is_optional"]


def _never(mode: Mode) -> bool:
    return False


#: step -> reference type whose N/A jwst's step accepts -> whether a mode
#: needs it (CRDS has a file for that mode).  The types that define a step
#: (``photom``, ``flat``, ``extract1d``, the WCS files) are not here: without
#: them jwst would not produce the same products, so a missing one is always
#: an error.
NEEDED: dict[str, dict[str, Callable[[Mode], bool]]] = {
    "msa_flagging": {"msaoper": lambda m: m.allows("msa_flagging")},
    # the NIRCam time-series stripe map: only a DHS subarray has one (the WCS builder says so).
    "assign_wcs": {"regions": lambda m: "regions" in m.wcs_reftypes},
    # jwst scales a reference background (WFSS, SOSS); WFSS also reads the
    # wavelength ranges of its orders.
    "bkg_subtract": {
        "bkg": lambda m: m.reference_background,
        "wavelengthrange": lambda m: m.wfss,
    },
    # targ_centroid selects it for the TA image itself (an LRS exposure selects none).
    "targ_centroid": {"filteroffset": _never},
    "wavecorr": {"wavecorr": lambda m: m.wavecorr},
    # jwst's pathloss and barshadow run on the types that allow them, each with a file.
    "pathloss": {"pathloss": lambda m: m.allows("pathloss")},
    "barshadow": {"barshadow": lambda m: m.allows("barshadow")},
    # the per-slit area table of NIRSpec is needed; MIRI's area image is optional.
    "photom": {"area": lambda m: m.pixel_area == "table"},
    "extract_1d": {
        # a mode with its own extraction (NIRISS SOSS) has no EXTRACT1D file.
        "extract1d": lambda m: m.extract_1d_impl is None,
        "apcorr": lambda m: m.apcorr is not None,
        # optimal extraction (not the default); NIRISS SOSS's ATOCA (jwst's
        # default) models the orders with specprofile and speckernel, and both
        # of its extractions read the traces of the pastasoss file.
        "psf": _never,
        "specprofile": lambda m: m.extract_1d_impl is not None,
        "speckernel": lambda m: m.extract_1d_impl is not None,
        "pastasoss": lambda m: m.extract_1d_impl is not None,
    },
}

#: step -> the reference types some mode can do without (the keys of :data:`NEEDED`).
OPTIONAL_REFTYPES: dict[str, tuple[str, ...]] = {
    step: tuple(types) for step, types in NEEDED.items()
}


def is_optional(step: str | None, reftype: str, attrs: Mapping[str, Any] | None = None) -> bool:
    """Whether ``step`` runs as jwst runs it when ``reftype`` is N/A for this exposure.

    Parameters
    ----------
    step : the step asking (None: no step said it can do without).
    reftype : CRDS reference type.
    attrs : the exposure's keywords; its ``EXP_TYPE`` picks the mode.  With
        no attrs, or a type not in the modes table, a type listed for the
        step is optional.
    """
    needed = NEEDED.get(step or "", {}).get(reftype.lower())
    if needed is None:
        return False
    mode = lookup(exp_type_of(attrs or {}))
    return mode is None or not needed(mode) or reftype.lower() in mode.crds_na
