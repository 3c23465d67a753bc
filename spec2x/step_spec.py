"""What a calwebb_spec2 step is to spec2x: its :class:`StepSpec` and parameters (:class:`Param`).

The table of the steps themselves is :data:`spec2x.registry.STEPS`.  A
:class:`StepSpec` names the spec2x module implementing the step; nothing here
imports it (nor xarray) until the step is loaded to run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import UnsupportedModeError

if TYPE_CHECKING:
    import xarray as xr

    from .steps import StepContext

__all__ = [
    "STATUS_KEYWORDS",
    "ChainFunction",
    "ChainResult",
    "Param",
    "ParamType",
    "StepOutput",
    "StepSpec",
]

#: Kinds of parameter value (from the jwst spec types).
ParamType = str  # "bool" "int" "float" "str" "option" "int_list" "float_list" "list"


#: Steps whose skip jwst records nowhere: stpipe writes SKIPPED under the step's alias,
#: which for these is not a ``cal_step`` name (``master_background_mos`` against
#: ``cal_step.master_background``, S_MSBSUB), so the status stays unset.
SKIP_NOT_RECORDED = frozenset(("master_background_mos",))

#: jwst's ``S_*`` status keyword for each step (``cal_step`` in the datamodels).
STATUS_KEYWORDS = {
    "assign_wcs": "S_WCS",
    "badpix_selfcal": "S_BPXSLF",
    "msa_flagging": "S_MSAFLG",
    "clean_flicker_noise": "S_CLNFNS",
    "nsclean": "S_NSCLEN",
    "bkg_subtract": "S_BKDSUB",
    "imprint_subtract": "S_IMPRNT",
    "extract_2d": "S_EXTR2D",
    "master_background_mos": "S_MSBSUB",
    "targ_centroid": "S_TACNTR",
    "wavecorr": "S_WAVCOR",
    "flat_field": "S_FLAT",
    "srctype": "S_SRCTYP",
    "straylight": "S_STRAY",
    "fringe": "S_FRINGE",
    "residual_fringe": "S_RESFRI",
    "pathloss": "S_PTHLOS",
    "barshadow": "S_BARSHA",
    "wfss_contam": "S_CONTAM",
    "photom": "S_PHOTOM",
    "adaptive_trace_model": "S_TRCMOD",
    "pixel_replace": "S_PXREPL",
    "resample_spec": "S_RESAMP",
    "cube_build": "S_IFUCUB",
    "extract_1d": "S_EXTR1D",
}


@dataclass(frozen=True)
class Param:
    """One step parameter.

    Attributes
    ----------
    name : as jwst names it.
    default : jwst 3.0.0's default.
    type : ``bool``, ``int``, ``float``, ``str``, ``option`` (one of
        ``choices``), ``int_list``, ``float_list`` or ``list``.
    help : one line.
    choices : allowed values of an ``option`` (None may be one).
    """

    name: str
    default: Any
    type: ParamType
    help: str
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class StepOutput:
    """A step's result with the files jwst's step saves beside the products on request.

    Attributes
    ----------
    result : the step's output (what the chain goes on with).
    products : jwst suffix -> product (e.g. wfss_contam's ``simul``, ``contam``), written
        with the run's products as ``<base>_<suffix>``.
    members : association members the step updated, by role (badpix_selfcal's backgrounds).
    """

    result: Any
    products: Mapping[str, Any]
    members: Mapping[str, Sequence[Any]] = field(default_factory=dict)


#: ``from_chain(ds, ctx)``: the new Dataset, or it and updated association members by role,
#: or a :class:`StepOutput`.
ChainResult: TypeAlias = (
    "xr.Dataset | tuple[xr.Dataset, Mapping[str, Sequence[xr.Dataset]]] | StepOutput"
)
ChainFunction: TypeAlias = Callable[["xr.Dataset", "StepContext"], ChainResult]


@dataclass(frozen=True)
class StepSpec:
    """A calwebb_spec2 step.

    Attributes
    ----------
    name : the step's name in ``Spec2Pipeline`` (``flat_field``).
    jwst_class : the jwst class implementing it (for parameter files).
    reftypes : CRDS reference types the jwst step may ask for.
    params : its parameters.
    module : the spec2x module implementing it.
    """

    name: str
    jwst_class: str
    reftypes: tuple[str, ...]
    params: tuple[Param, ...]
    module: str

    @property
    def status_keyword(self) -> str:
        """The ``S_*`` keyword the step records (``S_FLAT``)."""
        return STATUS_KEYWORDS[self.name]

    @property
    def skipped_by_default(self) -> bool:
        """True for the steps jwst runs only on request (``skip = True`` default)."""
        return bool(self.param("skip").default)

    def defaults(self) -> dict[str, Any]:
        """Parameter name -> default."""
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        """The parameter called ``name`` (KeyError if there is none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def implemented(self) -> bool:
        """Whether spec2x has this step: its module exists (found, not imported)."""
        if self.module in sys.modules:
            return True
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:  # a package on the way is missing
            return False

    def require(self, exp_type: str | None = None) -> None:
        """Raise :class:`UnsupportedModeError` unless the step is :attr:`implemented`
        (before a chain runs: its modules are imported one by one as the steps run)."""
        if not self.implemented:
            where = f" (needed for EXP_TYPE={exp_type})" if exp_type else ""
            raise UnsupportedModeError(
                f"step {self.name} is not implemented in spec2x yet{where}; "
                f"skip it with --skip {self.name} to continue without it"
            )

    def load(self, exp_type: str | None = None) -> ChainFunction:
        """The step's ``from_chain(ds, ctx)``, its module imported now.

        Raises
        ------
        UnsupportedModeError
            When spec2x does not implement the step yet.
        """
        self.require(exp_type)
        func: ChainFunction = importlib.import_module(self.module).from_chain
        return func
