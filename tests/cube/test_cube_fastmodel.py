"""spec2x.cube.fastmodel: a composed model evaluated as plain NumPy equals astropy's call."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.modeling import models
from astropy.modeling.mappings import Identity, Mapping
from gwcs.geometry import CartesianToSpherical, SphericalToCartesian
from gwcs.selector import LabelMapperArray, RegionsSelector
from stdatamodels.jwst.transforms.models import (
    DirCos2Unitless,
    Logical,
    RefractionIndexFromPrism,
    Rotation3DToGWA,
    Unitless2DirCos,
)

from spec2x.cube.fastmodel import fast_call, fast_model
from spec2x.cube.regions import labelled_function


def _poly(seed, degree=4, zeros=True, **kw):
    rng = np.random.default_rng(seed)
    poly = models.Polynomial2D(degree, **kw)
    values = rng.normal(size=len(poly.parameters)) * 10.0 ** -rng.integers(
        0, 6, poly.parameters.size
    )
    if zeros:  # the high orders exactly zero, as in the MRS distortion
        values[rng.random(values.size) < 0.6] = 0.0
    poly.parameters = values
    return poly


def _inputs(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-50, 1100, n), rng.uniform(-50, 1100, n)


def _same(model, *inputs):
    want = model(*inputs)
    want = want if isinstance(want, tuple) else (want,)
    got = fast_model(model)(*inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w, equal_nan=True)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("zeros", [True, False])
def test_polynomial2d_equal(seed, zeros):
    _same(_poly(seed, degree=seed + 1, zeros=zeros), *_inputs(seed=seed))


def test_polynomial2d_domain_and_constant():
    _same(_poly(1, x_domain=(0, 1032), y_domain=(0, 1024)), *_inputs())
    _same(_poly(2, x_domain=(-1, 1), y_domain=(-1, 1)), *_inputs())
    _same(models.Polynomial2D(0, c0_0=3.5), *_inputs())
    _same(models.Polynomial2D(3), *_inputs())  # all zero


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_polynomial2d_non_finite_inputs_as_astropy():
    """A zero term times inf or NaN is NaN in astropy; the skipped terms keep that."""
    x, y = _inputs(50)
    x[:5], y[5:10] = np.nan, np.inf
    only_x = models.Polynomial2D(3, c1_0=2.0, c2_0=0.5, c0_0=1.0)  # y enters only as 0 * y
    _same(only_x, x, y)
    _same(_poly(3), x, y)


@pytest.mark.parametrize("fill", [np.nan, -1.5])
def test_tabular1d_equal_to_scipy(fill):
    rng = np.random.default_rng(4)
    points = np.cumsum(rng.uniform(0.1, 2.0, 300))
    table = models.Tabular1D(points, np.sin(points) * 3.0, bounds_error=False, fill_value=fill)
    span = points[-1] - points[0]
    x = np.concatenate([
        rng.uniform(points[0] - 0.1 * span, points[-1] + 0.1 * span, 5000), points,
        (points[1:] + points[:-1]) / 2, [np.nan, np.inf, -np.inf, points[0], points[-1]],
    ])  # fmt: skip
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, as scipy
        _same(table, x)
        _same(table, x[:12].reshape(3, 4))


def test_tabular1d_others_by_astropy():
    points = np.linspace(0.0, 5.0, 11)
    for table in (
        models.Tabular1D(points[::-1], points**2, bounds_error=False),  # descending
        models.Tabular1D(points, points**2, method="nearest", bounds_error=False),
        models.Tabular1D(points, points**2),  # bounds error
    ):
        _same(table, np.linspace(0.1, 4.9, 50))


def test_compound_operators_and_mappings():
    poly_a, poly_b = _poly(4), _poly(5, degree=3)
    model = (
        Mapping((1, 0, 0, 1, 0))
        | (Identity(1) & models.Shift(-3.25) | poly_a) & models.Const1D(-1.77) & (
            (Identity(1) & models.Shift(-485.7) | poly_b) | Identity(1) * models.Const1D(1.00004)
        )
    )  # fmt: skip
    _same(model, *_inputs())
    arithmetic = (models.Scale(2.5) + models.Shift(1.5)) / (models.Multiply(3.0) - models.Const1D(
        7.0)) ** models.Const1D(2.0)  # fmt: skip
    _same(arithmetic, _inputs()[0])


def test_sky_geometry_and_fallback_parts():
    """The sky rotation's parts (compiled) and parts called as astropy does (fix_inputs, tables)."""
    sky = (
        models.Scale(1 / 3600) & models.Scale(1 / 3600)
        | SphericalToCartesian()
        | models.RotationSequence3D([0.1, -0.2, 254.3, -69.5, -80.5], "zyxyz")
        | CartesianToSpherical()
    )
    _same(sky, *(v / 100 for v in _inputs()))
    ra, dec = fast_model(sky)(np.float64(3.0), np.float64(-2.0))  # scalars stay scalars
    assert np.shape(ra) == np.shape(dec) == ()
    assert (ra, dec) == tuple(sky(np.float64(3.0), np.float64(-2.0)))
    fixed = models.fix_inputs(_poly(6) & models.Shift(2.0), {1: 4.0})
    x, y = _inputs()
    _same(fixed, x, y)
    tabular = models.Tabular1D(points=np.linspace(0, 10, 11), lookup_table=np.arange(11.0) ** 2)
    _same(tabular, np.linspace(0.5, 9.5, 40))


def test_optics_by_their_evaluate_equal_and_scalars_by_astropy():
    """NIRSpec's optics (stdatamodels) and Polynomial1D, arrays and scalars, as astropy's call."""
    x, y = (v / 2000 for v in _inputs())
    z = np.sqrt(1 - x**2 - y**2)
    parts = [
        (Rotation3DToGWA([0.3, -1.2, 24.0, 0.8], "xyzy"), (x, y, z)),
        (Unitless2DirCos(), (x, y)),
        (DirCos2Unitless(), (x, y, z)),
        (RefractionIndexFromPrism(16.5), (x, y, -x)),
        (Logical("GT", 0.4, np.nan), (x,)),
        (models.Polynomial1D(2, c0=0.5, c1=-2.0, c2=1e-3, domain=[-1, 3]), (x,)),
    ]
    for model, inputs in parts:
        _same(model, *inputs)
        scalars = tuple(np.float64(v[7]) for v in inputs)
        got, want = fast_model(model)(*scalars), model(*scalars)
        want = want if isinstance(want, tuple) else (want,)
        assert [np.shape(v) for v in got] == [np.shape(v) for v in want]
        assert np.array_equal(got, want, equal_nan=True)


def test_affine_equal_and_scalars_by_astropy():
    affine = models.AffineTransformation2D(
        matrix=[[3.512594, 0.00018787], [-0.00017734, 3.72123582]], translation=[0.25, -1.5]
    )
    x, y = _inputs()
    _same(affine, x, y)
    _same(affine, x.reshape(50, 100), y.reshape(50, 100))
    got = fast_model(affine)(np.float64(3.0), np.float64(-2.0))
    assert got == affine(np.float64(3.0), np.float64(-2.0))


def test_regions_selector_equal_to_gwcs():
    labels = np.zeros((40, 30), dtype=np.int16)
    labels[5:35, 2:10], labels[5:35, 12:20], labels[5:35, 22:29] = 3, 1, 7
    transforms = {
        lab: Mapping((0, 1, 0, 1)) | (_poly(lab) & _poly(lab + 10)) | Mapping((0, 1, 0))
        for lab in (1, 3)
    }  # label 7 has no transform: NaN, as gwcs
    transforms[7] = Mapping((0, 1, 0, 1)) | (_poly(30) & _poly(31)) | Mapping((0, 1, 1))
    selector = RegionsSelector(("x", "y"), ("a", "b", "c"), selector=transforms,
                               label_mapper=LabelMapperArray(labels))  # fmt: skip
    y, x = np.mgrid[:40, :30]
    x, y = x.ravel().astype(float), y.ravel().astype(float)
    _same(selector, x, y)
    _same(selector | (models.Shift(1) & models.Scale(2) & Identity(1)), x, y)


@pytest.mark.parametrize("ordered", [False, True])
def test_labelled_function_points_sharing_labels(ordered):
    """Given labels (in order or not), k points per label map as gwcs maps each point;
    labels of no transform give the selector's fill."""
    labels = np.zeros((40, 30), dtype=np.int16)
    labels[5:35, 2:10], labels[5:35, 12:20], labels[5:35, 22:29] = 3, 1, 7
    transforms = {lab: Mapping((0, 1, 0, 1)) | (_poly(lab) & _poly(lab + 10)) for lab in (1, 3)}
    selector = RegionsSelector(("x", "y"), ("a", "b"), selector=transforms,
                               label_mapper=LabelMapperArray(labels))  # fmt: skip
    y, x = np.nonzero(labels >= 0)
    at = labels[y, x]
    if ordered:
        order = np.argsort(at, kind="stable")
        y, x, at = y[order], x[order], at[order]
    x, y = x.astype(float), y.astype(float)
    # each pixel's centre and two points within it (the same label)
    xs, ys = np.stack([x, x - 0.4, x + 0.4]), np.stack([y, y + 0.4, y - 0.4])
    got = labelled_function(selector, fast_model)(at, xs, ys)
    for g, w in zip(got, selector(xs.ravel(), ys.ravel()), strict=True):
        assert g.shape == xs.shape
        assert np.array_equal(g.ravel(), w, equal_nan=True)
    assert np.isnan(got[0][:, at == 7]).all()
    assert np.isnan(got[0][:, at == 0]).all()


def test_fast_call_scalars_and_cache():
    poly = _poly(7)
    got = fast_call(poly, 3.0, 4.0)
    assert got[0].shape == ()
    assert got[0] == poly(3.0, 4.0)
    assert fast_call(poly, [1.0, 2.0], 0.5)[0].tolist() == list(poly([1.0, 2.0], [0.5, 0.5]))
