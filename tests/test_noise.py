import math

import numpy as np
import pytest
from numba import njit
from scipy import integrate, special, stats

from nsnn_sim.simulator import noise

SD = 0.4  # every family runs at the scale of this SD (Cauchy: of the Gaussian's interquartile range)
NOISY = [record.name for record in noise.specs() if not record.deterministic]
SCALES = {name: noise.spec(name).scale_for_sd(SD) for name in NOISY}
SCIPY = {name: noise.spec(name).scipy_reference for name in NOISY}


def test_every_registered_family_is_complete():
    assert "none" in noise.names() and set(NOISY) | {"none"} == set(noise.names())
    for record in noise.specs():
        assert noise.code_of(record.name) == record.code
        assert record.deterministic == (record.scipy_reference is None)
        assert record.brian2_ppf is not None or record.brian2_sample is not None, record.name


@pytest.mark.parametrize("name", NOISY)
def test_scale_for_sd_gives_that_sd_or_the_gaussian_interquartile_range(name):
    reference = SCIPY[name](SCALES[name])
    if np.isfinite(reference.std()):
        assert reference.std() == pytest.approx(SD, rel=1e-12)
    else:  # no SD (Cauchy): the quartiles of the Gaussian of that SD
        assert reference.ppf(0.75) == pytest.approx(stats.norm.ppf(0.75, scale=SD), rel=1e-12)
    iqr = reference.ppf(0.75) - reference.ppf(0.25)
    assert noise.spec(name).scale_for_iqr(iqr) == pytest.approx(SCALES[name], rel=1e-12)


@pytest.mark.parametrize("name", NOISY)
def test_cdf_pdf_ppf_agree_with_scipy(name):
    family = noise.get(name, SCALES[name])
    reference = SCIPY[name](SCALES[name])
    x = np.linspace(-3, 3, 121)
    np.testing.assert_allclose(family.cdf(x), reference.cdf(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(family.pdf(x), reference.pdf(x), rtol=1e-12, atol=1e-15)
    p = np.concatenate([np.logspace(-12, -1, 12), np.linspace(0.05, 0.95, 19), 1 - np.logspace(-1, -12, 12)])
    # symmetric families: the upper tail from the lower one, where scipy keeps all digits
    expected = np.where(p < 0.5, reference.ppf(p), -reference.ppf(1 - p))
    np.testing.assert_allclose(family.ppf(p), expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", NOISY)
def test_pdf_integrates_to_cdf_and_ppf_inverts_cdf(name):
    family = noise.get(name, SCALES[name])
    edges = [-0.7, -0.5, -0.1, 0.0, 0.2, 0.35, 0.7]  # with the kinks at 0 and at the support's ends
    support = noise.spec(name).support * family.scale
    edges = sorted(set(edges) | ({-support, support} if math.isfinite(support) else set()))
    for start, stop in zip(edges[:-1], edges[1:]):
        area, _ = integrate.quad(lambda y: family.pdf(y).item(), start, stop, epsabs=1e-13, limit=200)
        assert area == pytest.approx((family.cdf(stop) - family.cdf(start)).item(), abs=1e-10)
    p = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(family.cdf(family.ppf(p)), p, rtol=1e-12, atol=1e-14)


def test_gaussian_ppf_is_accurate_in_the_far_tails():
    p = np.logspace(-300, -1, 300)
    np.testing.assert_allclose(noise.get("gaussian", 1.0).ppf(p), special.ndtri(p), rtol=1e-14)


@pytest.mark.parametrize("name", NOISY)
def test_samples_pass_ks_test_against_cdf(name):
    # Power: p < 1e-3 when the KS distance D > sqrt(ln(2/1e-3)/(2n)) = 0.0028 at n = 5e5; a relative
    # scale error delta moves the cdf by up to delta*max|x f(x)| (0.159 Cauchy, 0.242 Gaussian, 0.224
    # logistic, 0.25 triangular, 0.5 uniform at scale 1), so the smallest scale error failing is
    # 1.7 % (Cauchy), 1.1 % (Gaussian), 1.2 %, 1.1 %, 0.6 %: a 2 % error fails every family (at
    # n = 5e4 it took 3.5-5.5 %). Nine times in ten (D above 0.0028 + 1.28 x 0.5/sqrt(n) = 0.0037): 2.3 %,
    # 1.5 %, 1.7 %, 1.5 %, 0.74 %. Above 1 %: the samples are the family's ppf of uniforms, and the cdf, pdf and
    # ppf are exact against scipy in the tests above.
    family = noise.get(name, SCALES[name])
    samples = family.sample(500_000, seed=11)
    result = stats.kstest(samples, family.cdf)
    assert result.pvalue > 1e-3, result
    # independently of our own cdf: the scipy distribution
    assert stats.kstest(samples, SCIPY[name](SCALES[name]).cdf).pvalue > 1e-3


def test_none_is_the_deterministic_step():
    family = noise.get("none", 0.7)
    assert family.scale == 0.0 and family.is_deterministic
    np.testing.assert_array_equal(family.cdf([-1e-12, 0.0, 2.0]), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(family.pdf([-1.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(family.sample(5), np.zeros(5))


def test_numba_dispatch_matches_scipy_for_every_registered_family():
    """The Numba dispatchers against an independent oracle (the scipy distribution; the deterministic
    step by its definition), not against the vectorised methods, which share the scalar functions."""
    for name in noise.names():
        family = noise.get(name, 0.5)
        if name == "none":
            assert [noise.cdf(family.code, x, family.scale) for x in (-0.3, 0.0, 0.45)] == [0.0, 1.0, 1.0]
            continue
        reference = SCIPY[name](family.scale)
        for x in (-0.3, 0.0, 0.45):
            assert noise.cdf(family.code, x, family.scale) == pytest.approx(reference.cdf(x), rel=1e-12, abs=1e-15)
            assert noise.pdf(family.code, x, family.scale) == pytest.approx(reference.pdf(x), rel=1e-12, abs=1e-15)
        for p in (0.01, 0.3, 0.5, 0.8, 0.999):
            assert noise.ppf(family.code, p, family.scale) == pytest.approx(reference.ppf(p), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("bad, error", [
    (dict(name="poisson"), ValueError),
    (dict(name="gaussian", scale=-0.1), ValueError),
    (dict(name="gaussian", scale=0.0), ValueError),
    (dict(name="logistic", scale=float("nan")), ValueError),
    (dict(name="uniform", scale="wide"), TypeError),
])
def test_bad_family_or_scale_is_rejected_with_the_parameter_named(bad, error):
    with pytest.raises(error, match="noise|scale"):
        noise.get(**bad)


def test_ppf_rejects_probabilities_outside_the_open_interval():
    with pytest.raises(ValueError, match="open interval"):
        noise.get("gaussian", 1.0).ppf([0.0, 0.5])


@njit
def _decisions(family, xs, draws, scale, margin_out, fast_out, direct_out):
    for index in range(xs.size):
        value = noise.cdf(family, xs[index], scale)
        margin_out[index] = noise.may_fire(family, min(1.1 * value, 1.0 - 1e-16), xs[index], scale)
        fast_out[index] = noise.below_cdf(family, draws[index], xs[index], scale)
        direct_out[index] = draws[index] < value


@pytest.mark.parametrize("name", [n for n in noise.names()])
def test_cheap_firing_pretest_and_the_escape_decision(name):
    """The pre-test's bound lies at or above 1.1 F(x) (a draw of 1.1 F(x) still "may fire", so rounding
    cannot make it reject a spike), and below_cdf(draw, x) equals draw < F(x) for 10^6 random pairs,
    a tenth of them with the draw exactly at F(x)."""
    generator = np.random.default_rng(5)
    code = noise.code_of(name)
    for scale in (0.05, 0.4, 3.0):
        xs = np.concatenate([np.linspace(-1e4, 1e4, 20001) * scale, generator.normal(0, 3 * scale, 10**6 - 20001)])
        cdf_values = noise.get(name, scale).cdf(xs) if name in SCIPY else (xs >= 0).astype(float)
        draws = np.where(generator.random(xs.size) < 0.1, cdf_values, generator.random(xs.size))
        margin = np.empty(xs.size, dtype=np.bool_)
        fast, direct = np.empty(xs.size, dtype=np.bool_), np.empty(xs.size, dtype=np.bool_)
        _decisions(code, xs, draws, scale, margin, fast, direct)
        assert np.all(margin[cdf_values > 0]), name
        np.testing.assert_array_equal(fast, direct)


def _spec_like(record, **changes):
    fields = dict(record.__dict__)
    fields.update(changes)
    return noise.FamilySpec(**fields)


@pytest.mark.parametrize("changes, error, match", [
    (dict(name="two words"), ValueError, "name="),
    (dict(code=-1), ValueError, "code=-1"),
    (dict(cdf=math.erf), TypeError, "cdf=.*Numba"),
    (dict(scale_for_sd=0.5), TypeError, "scale_for_sd"),
    (dict(brian2_cdf=None), TypeError, "brian2_cdf"),
    (dict(brian2_ppf="{q}*2"), ValueError, "brian2_ppf"),
    (dict(brian2_ppf=None, brian2_sample=None), TypeError, "brian2_ppf"),
    (dict(support=0.0), ValueError, "support"),
])
def test_bad_family_record_is_rejected_naming_the_field(changes, error, match):
    with pytest.raises(error, match=match):
        _spec_like(noise.spec("logistic"), **{"name": "logistic2", "code": 99, **changes})


def test_register_rejects_a_taken_name_or_code_and_a_late_registration():
    before = noise.names()
    with pytest.raises(TypeError, match="FamilySpec"):
        noise.register("laplace")
    with pytest.raises(ValueError, match="name='logistic' is taken"):
        noise.register(_spec_like(noise.spec("logistic"), code=99))
    with pytest.raises(ValueError, match="code=2 of 'logistic2' is taken by 'logistic'"):
        noise.register(_spec_like(noise.spec("logistic"), name="logistic2"))
    noise.get("gaussian", 1.0).cdf(0.0)  # a kernel is compiled now: a new family would not reach it
    with pytest.raises(RuntimeError, match="register noise families before the first simulation"):
        noise.register(_spec_like(noise.spec("logistic"), name="logistic2", code=99))
    assert noise.names() == before


def test_built_in_registry_keeps_numba_default_cache_and_the_generated_dispatch_lists_every_family():
    assert noise.kernel_cache_dir() == noise._DEFAULT_CACHE_DIR
    source = noise.dispatch_source()
    for record in noise.specs():
        assert f"if family == {record.code}:  # {record.name}" in source
