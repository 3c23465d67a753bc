"""Reference files: open CRDS-format FITS/ASDF files, and pick the right one.

``open_reference(path)`` reads the REFTYPE and INSTRUME keywords and hands
the file to the reader of that pair (:mod:`spec2x.io.ref_readers`, or one
added with :func:`register_reader`); a type with no reader opens as a plain
:class:`Reference` holding its header and HDUs or ASDF tree.  A
:class:`ReferenceSet` answers "which file of type T fits this exposure" from
an explicit mapping (``--ref TYPE=PATH``), a directory of files (``--refs
DIR``, matched on the header selectors) and/or a CRDS cache (``CRDS_PATH``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputFileError, MissingReferenceError, ParameterError
from ..modes import MODES, exp_type_of
from .ref_headers import open_asdf_reference, read_header
from .ref_open import (
    NOT_APPLICABLE,
    Reference,
    open_reference,
    reference_content,
    reference_keyword,
    reference_tree,
    reftype_of,
    register_reader,
    require_keys,
    typed_content,
)
from .ref_rules import is_optional
from .ref_select import SELECTORS, describe, fits_exposure, rank

if TYPE_CHECKING:
    from .crds_cache import CrdsCache

__all__ = [
    "NOT_APPLICABLE",
    "SELECTORS",
    "Reference",
    "ReferenceSet",
    "open_asdf_reference",
    "open_reference",
    "read_header",
    "reference_content",
    "reference_keyword",
    "reference_tree",
    "register_reader",
    "require_keys",
    "typed_content",
]

log = logging.getLogger(__name__)

#: Prefix jwst writes before the file name in ``R_*`` (``crds://jwst_miri_flat_0001.fits``).
CRDS_PREFIX = "crds://"


def split_ref_key(key: str) -> tuple[str | None, str]:
    """An explicit reference's key as (EXP_TYPE or None, reference type).

    ``TYPE`` (``fflat``, or its ``R_*`` keyword) serves every exposure and
    group of slits; ``EXP_TYPE:TYPE`` (``NRS_FIXEDSLIT:fflat``) only those
    calibrated as that exposure type, such as the fixed slits of a NIRSpec
    MOS exposure (calibrated as ``NRS_FIXEDSLIT``), and wins over ``TYPE``
    there.

    Raises
    ------
    ParameterError
        The EXP_TYPE is not one spec2x knows (:data:`spec2x.modes.MODES`).
    """
    qualifier, sep, reftype = key.strip().rpartition(":")
    if not sep:
        return None, reftype_of(reftype.strip())
    exp_type = qualifier.strip().upper()
    if exp_type not in MODES:
        raise ParameterError.unknown(
            "exposure type", qualifier.strip(), MODES, f" in reference key {key!r}"
        )
    return exp_type, reftype_of(reftype.strip())


def _crds_name(value: str) -> str | None:
    """The CRDS file name ``value`` gives (``crds://NAME`` or a bare ``NAME`` with no folder
    that is not a file here), as ``R_*`` keywords record it; None for a path."""
    if value.lower().startswith(CRDS_PREFIX):
        return value[len(CRDS_PREFIX) :]
    if os.sep in value or "/" in value or os.path.exists(value):
        return None
    return value


class ReferenceSet:
    """Reference files for one run: explicit paths by type, a folder, a CRDS cache.

    A type is looked up in that order.  In a folder, the file whose REFTYPE
    and selectors fit the exposure is taken (the most specific when several
    do; a full-frame file serves a subarray that has no file of its own).  A
    type with no file in the folder that the asking step can do without for
    the exposure's mode (:mod:`spec2x.io.ref_rules`) is N/A, said once in the log; any other
    missing type is a :class:`MissingReferenceError`.  See ``docs/references.md``.

    Parameters
    ----------
    explicit : reftype (or its ``R_*`` keyword, ``R_FLAT``) -> path, opened
        reference, ``"N/A"``, or a CRDS file name as ``R_*`` records it
        (``crds://jwst_miri_flat_0001.fits`` or ``jwst_miri_flat_0001.fits``,
        with no folder): taken from the CRDS cache, else the folder.  A key
        ``EXP_TYPE:TYPE`` (``NRS_FIXEDSLIT:fflat``) serves only exposures and
        groups of slits of that type, before ``TYPE`` (:func:`split_ref_key`).
    directory : a folder of CRDS-format files, matched by REFTYPE and selectors.
    crds_cache : a :class:`spec2x.io.crds_cache.CrdsCache`: CRDS's own
        selection from a local cache (:meth:`from_crds`).
    strict : refuse (MissingReferenceError) instead of reading a missing
        optional type as N/A.
    """

    def __init__(
        self,
        explicit: Mapping[str, str | os.PathLike[str] | Reference] | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        crds_cache: CrdsCache | None = None,
        strict: bool = False,
    ) -> None:
        self.explicit: dict[str, Any] = {}
        self.explicit_for: dict[tuple[str, str], Any] = {}  # (EXP_TYPE, reftype) -> value
        for key, value in (explicit or {}).items():
            exp_type, reftype = split_ref_key(key)
            if exp_type is None:
                self.explicit[reftype] = value
            else:
                self.explicit_for[exp_type, reftype] = value
        self.directory = Path(directory) if directory is not None else None
        if self.directory is not None and not self.directory.is_dir():
            raise InputFileError(f"reference folder {self.directory} does not exist")
        self.crds_cache = crds_cache
        self.strict = strict
        self._index: list[tuple[str, dict[str, Any]]] | None = None
        self._opened: dict[str, Reference] = {}
        self._said: set[str] = set()

    @classmethod
    def from_crds(
        cls,
        path: str | os.PathLike[str] | None = None,
        context: str | None = None,
        *,
        explicit: Mapping[str, str | os.PathLike[str] | Reference] | None = None,
        strict: bool = False,
    ) -> ReferenceSet:
        """References as CRDS selects them from a local cache, with no server.

        Parameters
        ----------
        path : the cache folder (``CRDS_PATH`` when None).
        context : the ``.pmap`` to select with (``CRDS_CONTEXT``, else the
            cache's newest ``jwst_*.pmap``).
        explicit : reftype -> path, CRDS file name or ``"N/A"``, taken before the cache.
        strict : see :class:`ReferenceSet`.
        """
        from .crds_cache import CrdsCache

        return cls(explicit, crds_cache=CrdsCache(path, context), strict=strict)

    def _catalogue(self) -> list[tuple[str, dict[str, Any]]]:
        if self._index is None:
            self._index = []
            if self.directory is not None:
                for p in sorted(self.directory.iterdir()):
                    if p.suffix.lower() in (".fits", ".asdf", ".json") and p.is_file():
                        try:
                            self._index.append((str(p), read_header(p)))
                        except InputFileError:
                            continue
        return self._index

    def _in_folder(self, reftype: str, attrs: Mapping[str, Any]) -> str | None:
        """The best-fitting file of ``reftype`` in the folder; None when none fits."""
        matches = [
            (path, hdr)
            for path, hdr in self._catalogue()
            if str(hdr.get("REFTYPE", "")).lower() == reftype and fits_exposure(hdr, attrs)
        ]
        if len(matches) > 1:
            matches.sort(key=lambda m: rank(m[1], attrs), reverse=True)
            if rank(matches[0][1], attrs) == rank(matches[1][1], attrs):
                names = ", ".join(os.path.basename(m[0]) for m in matches)
                raise MissingReferenceError(
                    f"{len(matches)} {reftype} references fit {describe(attrs)}: {names}; "
                    f"choose one with --ref {reftype}=PATH"
                )
        return matches[0][0] if matches else None

    def find(self, reftype: str, attrs: Mapping[str, Any], step: str | None = None) -> str | None:
        """Path of the one file of ``reftype`` that fits ``attrs``; None if it is N/A.

        Parameters
        ----------
        reftype : CRDS reference type.
        attrs : the exposure's keywords.
        step : the step asking; a type it can do without for this mode is N/A when missing.
        """
        reftype = reftype.lower()
        found, value = self._explicit(reftype, attrs)
        if found:
            if isinstance(value, Reference):
                return value.path
            if value is None or str(value).upper() == NOT_APPLICABLE:
                return None  # None in a mapping means N/A, as in jwst's override_<type>
            name = _crds_name(os.fspath(value))
            return os.fspath(value) if name is None else self._named(reftype, name, attrs)
        path = self._in_folder(reftype, attrs) if self.directory is not None else None
        if path is not None:
            return path
        if self.crds_cache is not None:
            path = self.crds_cache.select(reftype, attrs)
            if path is None:
                self._say(reftype, f"{step or reftype}: CRDS ({self.crds_cache.context}) says "
                          f"{reftype} is N/A for this exposure")  # fmt: skip
            return path
        where = f" in {self.directory}" if self.directory else ""
        if not self.strict and is_optional(step, reftype, attrs):
            self._say(reftype, f"{step}: no {reftype} reference{where} fits {describe(attrs)}; "
                      "N/A, as CRDS answers where a mode has none (--strict-refs refuses)")  # fmt: skip
            return None
        raise MissingReferenceError(
            f"no {reftype} reference for {describe(attrs)}{where}; give one with "
            f"--ref {reftype}=PATH (or --ref {reftype}=N/A if it does not apply)"
        )

    def _explicit(self, reftype: str, attrs: Mapping[str, Any]) -> tuple[bool, Any]:
        """Whether ``reftype`` was given explicitly for an exposure with ``attrs``, and its
        value: the ``EXP_TYPE:TYPE`` entry of the exposure's type first, then ``TYPE``."""
        key = (exp_type_of(attrs), reftype)
        if key in self.explicit_for:
            return True, self.explicit_for[key]
        if reftype in self.explicit:
            return True, self.explicit[reftype]
        return False, None

    def _named(self, reftype: str, name: str, attrs: Mapping[str, Any]) -> str:
        """The file called ``name`` (given as ``crds://NAME`` or ``NAME``, as in ``R_*``): from
        the CRDS cache, else the folder."""
        if self.crds_cache is not None:
            return str(self.crds_cache.locate(name, attrs.get("INSTRUME")))
        if self.directory is not None and (self.directory / name).is_file():
            return str(self.directory / name)
        where = f"is not in {self.directory}" if self.directory else "is not a file here"
        raise MissingReferenceError(
            f"{reftype} reference {name} {where} and no CRDS cache is given: set CRDS_PATH "
            f"to the cache that holds it, or give its path with --ref {reftype}=PATH"
        )

    def _say(self, reftype: str, message: str) -> None:
        """Log why ``reftype`` is N/A, once per run (members and integrations ask again)."""
        if reftype not in self._said:
            self._said.add(reftype)
            log.info("%s", message)

    def get(
        self, reftype: str, attrs: Mapping[str, Any], step: str | None = None
    ) -> Reference | None:
        """The opened reference of ``reftype`` for an exposure with ``attrs`` (None if N/A)."""
        value = self._explicit(reftype.lower(), attrs)[1]
        if isinstance(value, Reference):
            return value
        path = self.find(reftype, attrs, step)
        if path is None:
            return None
        if path not in self._opened:
            self._opened[path] = open_reference(path, reftype)
        return self._opened[path]

    def require(self, reftype: str, attrs: Mapping[str, Any], step: str) -> Reference:
        """Like :meth:`get`, but N/A is an error naming the step that needs the file."""
        ref = self.get(reftype, attrs)
        if ref is None:
            raise MissingReferenceError(
                f"{step} needs a {reftype} reference, but it was given as N/A"
            )
        return ref
