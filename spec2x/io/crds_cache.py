"""References from a local CRDS cache, chosen as CRDS chooses them, with no server.

JWST users keep a CRDS cache: ``$CRDS_PATH/mappings/jwst/*.pmap|imap|rmap``
(the rules) and ``$CRDS_PATH/references/jwst/[<instrument>/]*`` (the
files).  :class:`CrdsCache` answers "which file of type T for this
exposure" from that cache, with the rules of the ``context`` given, else
``CRDS_CONTEXT``, else the operational context the cache last synced
(``config/jwst/server_config``, as crds itself does off-line), else the
cache's newest ``jwst_*.pmap``:

- with the ``crds`` package installed (``pip install 'spec2x[crds]'``), its
  own rules engine selects (``crds.core.rmap``, loaded from the cache
  folder; no server is contacted), so the choice is CRDS's by construction;
- without it, :mod:`spec2x.io.crds_rules` reads the rules files (the
  ``Match``/``UseAfter`` rules JWST uses for the spectroscopic types).

An N/A answer (the type does not apply to this exposure) is returned as
None, and the step then does what jwst does with N/A.  The exposure's FITS
keywords are translated to the data-model names CRDS matches on
(:data:`PARKEYS`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputFileError, MissingReferenceError
from .crds_rules import RulesFile, condition_value, read_rules, select_from_rmap

__all__ = ["PARKEYS", "CrdsCache", "crds_parameters"]

#: CRDS (jwst data-model) matching key -> FITS keyword of the exposure.
PARKEYS: dict[str, str] = {
    "META.INSTRUMENT.NAME": "INSTRUME",
    "META.INSTRUMENT.DETECTOR": "DETECTOR",
    "META.INSTRUMENT.FILTER": "FILTER",
    "META.INSTRUMENT.GRATING": "GRATING",
    "META.INSTRUMENT.PUPIL": "PUPIL",
    "META.INSTRUMENT.BAND": "BAND",
    "META.INSTRUMENT.CHANNEL": "CHANNEL",
    "META.INSTRUMENT.MODULE": "MODULE",
    "META.INSTRUMENT.CORONAGRAPH": "CORONMSK",
    "META.INSTRUMENT.LAMP_STATE": "LAMP",
    "META.INSTRUMENT.LAMP_MODE": "OPMODE",
    "META.INSTRUMENT.FIXED_SLIT": "FXD_SLIT",
    "META.INSTRUMENT.MSA_STATE": "MSASTATE",
    "META.EXPOSURE.TYPE": "EXP_TYPE",
    "META.EXPOSURE.READPATT": "READPATT",
    "META.EXPOSURE.NGROUPS": "NGROUPS",
    "META.EXPOSURE.NINTS": "NINTS",
    "META.EXPOSURE.NOUTPUTS": "NOUTPUTS",
    "META.SUBARRAY.NAME": "SUBARRAY",
    "META.SUBARRAY.XSTART": "SUBSTRT1",
    "META.SUBARRAY.YSTART": "SUBSTRT2",
    "META.SUBARRAY.XSIZE": "SUBSIZE1",
    "META.SUBARRAY.YSIZE": "SUBSIZE2",
    "META.SUBARRAY.FASTAXIS": "FASTAXIS",
    "META.SUBARRAY.SLOWAXIS": "SLOWAXIS",
    "META.OBSERVATION.DATE": "DATE-OBS",
    "META.OBSERVATION.TIME": "TIME-OBS",
    "META.VISIT.TSOVISIT": "TSOVISIT",
    "META.VISIT.TYPE": "VISITYPE",
    "META.VISIT.CROWDED_FIELD": "CROWDFLD",
    "META.CALIBRATION_SOFTWARE_VERSION": "CAL_VER",
}


_GIVE = "give the file with --ref {0}=PATH (or --ref {0}=N/A)"


def crds_parameters(attrs: Mapping[str, Any]) -> dict[str, str]:
    """The exposure's keywords under CRDS's matching names, conditioned as CRDS conditions them."""
    return {
        parkey: condition_value(attrs[keyword])
        for parkey, keyword in PARKEYS.items()
        if attrs.get(keyword) is not None
    }


def _crds_available() -> bool:
    try:
        import crds.core.rmap  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _crds_env(root: Path) -> Iterator[None]:
    """CRDS_PATH pointing at ``root`` while crds loads rules (it finds nested files by name)."""
    keep = {k: os.environ.get(k) for k in ("CRDS_PATH", "CRDS_MAPPATH")}
    os.environ["CRDS_PATH"] = str(root)
    os.environ.pop("CRDS_MAPPATH", None)
    try:
        yield
    finally:
        for key, value in keep.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class CrdsCache:
    """Reference selection from a local CRDS cache.

    Parameters
    ----------
    path : the cache folder; ``CRDS_PATH`` when None.
    context : a ``jwst_NNNN.pmap`` name; ``CRDS_CONTEXT``, else the cache's
        operational context, else its newest ``.pmap``.
    use_crds : use the crds package when installed (True), never (False).

    Raises
    ------
    InputFileError
        No cache folder given or set, or it holds no JWST rules.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        context: str | None = None,
        *,
        use_crds: bool = True,
    ) -> None:
        path = path if path is not None else os.environ.get("CRDS_PATH")
        if not path:
            raise InputFileError(
                "no CRDS cache: set CRDS_PATH (and CRDS_CONTEXT) or give reference files "
                "with --refs DIR / --ref TYPE=PATH"
            )
        self.root = Path(path).expanduser()
        self.mappings = self.root / "mappings" / "jwst"
        pmaps = sorted(self.mappings.glob("jwst_*.pmap")) if self.mappings.is_dir() else []
        if not pmaps:
            raise InputFileError(
                f"CRDS cache {self.root} has no mappings/jwst/jwst_*.pmap; sync it with "
                "`crds sync --contexts jwst-operational` where a network is available"
            )
        context = context or os.environ.get("CRDS_CONTEXT") or self._operational() or pmaps[-1].name
        self.context = Path(context).name
        if not (self.mappings / self.context).is_file():
            raise InputFileError(f"CRDS context {self.context} is not in {self.mappings}")
        self.use_crds = use_crds and _crds_available()
        self._rules: dict[str, RulesFile] = {}
        self._crds_pmap: Any = None

    def _operational(self) -> str | None:
        """The operational context ``crds sync`` noted in the cache (what crds uses off-line)."""
        import ast

        path = self.root / "config" / "jwst" / "server_config"
        try:
            info = ast.literal_eval(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, SyntaxError):
            return None
        value = info.get("operational_context") if isinstance(info, dict) else None
        return str(value) if value else None

    def _read(self, name: str) -> RulesFile:
        if name not in self._rules:
            path = self.mappings / name
            if not path.is_file():
                raise MissingReferenceError(f"CRDS rules file {name} is not in {self.mappings}")
            self._rules[name] = read_rules(path)
        return self._rules[name]

    def _own_choice(self, reftype: str, header: Mapping[str, str]) -> str | None:
        try:
            return self._own_rules(reftype, header)
        except MissingReferenceError as exc:
            raise MissingReferenceError(f"{exc}; {_GIVE.format(reftype)}") from None

    def _own_rules(self, reftype: str, header: Mapping[str, str]) -> str | None:
        pmap = self._read(self.context)
        instrument = header.get("META.INSTRUMENT.NAME", "UNDEFINED").upper()
        table = pmap.selector if isinstance(pmap.selector, dict) else {}
        imap_name = {str(k).upper(): v for k, v in table.items()}.get(instrument)
        if imap_name is None:
            raise MissingReferenceError(f"{self.context} has no rules for {instrument}")
        imap = self._read(str(imap_name))
        table = imap.selector if isinstance(imap.selector, dict) else {}
        rmap_name = {str(k).lower(): v for k, v in table.items()}.get(reftype)
        if rmap_name is None:
            raise MissingReferenceError(f"{self.context} has no {reftype} rules for {instrument}")
        if str(rmap_name).upper() == "N/A":
            return None
        return select_from_rmap(self._read(str(rmap_name)), header)

    def _crds_choice(self, reftype: str, header: Mapping[str, str]) -> str | None:
        from crds.core import rmap
        from crds.core.exceptions import CrdsError

        with _crds_env(self.root):
            if self._crds_pmap is None:
                self._crds_pmap = rmap.load_mapping(str(self.mappings / self.context))
            try:
                found = self._crds_pmap.get_best_references(dict(header), include=[reftype])
            except CrdsError as exc:  # unknown instrument, ambiguous rules ...
                raise MissingReferenceError(
                    f"CRDS ({self.context}) finds no {reftype}: {exc}; {_GIVE.format(reftype)}"
                ) from None
        value = str(found.get(reftype, "NOT FOUND n/a"))
        if value.upper() in ("N/A", "NOT FOUND N/A"):
            return None
        if value.upper().startswith("NOT FOUND"):
            raise MissingReferenceError(
                f"CRDS ({self.context}) has no {reftype} reference for this exposure: "
                f"{value[len('NOT FOUND') :].strip()}; {_GIVE.format(reftype)}"
            )
        return value

    def choose(self, reftype: str, attrs: Mapping[str, Any]) -> str | None:
        """The file name CRDS selects for ``reftype`` and an exposure with ``attrs``; None for N/A."""
        header = crds_parameters(attrs)
        if self.use_crds:
            return self._crds_choice(reftype.lower(), header)
        return self._own_choice(reftype.lower(), header)

    def locate(self, name: str, instrument: Any) -> Path:
        """Where the cache keeps reference ``name`` (instrument folder or flat layout)."""
        base = self.root / "references" / "jwst"
        for candidate in (base / str(instrument or "").lower() / name, base / name):
            if candidate.is_file():
                return candidate
        raise MissingReferenceError(
            f"CRDS ({self.context}) selects {name}, but it is not in {base}; fetch it with "
            f"`crds sync --files {name}` where a network is available, or give it with --ref"
        )

    def select(self, reftype: str, attrs: Mapping[str, Any]) -> str | None:
        """Path of the file CRDS selects for ``reftype``; None when CRDS says N/A."""
        name = self.choose(reftype, attrs)
        if name is None:
            return None
        return str(self.locate(name, attrs.get("INSTRUME")))
