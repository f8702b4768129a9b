"""The kernels through Python against numpy references (float64), with stated tolerances."""
import numpy as np
import pytest

import attention


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (3, 17, 5), (65, 33, 63), (128, 96, 257), (0, 4, 3), (4, 0, 3), (4, 5, 0)])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_matches_numpy(rng, m, n, k, trans_a, trans_b):
    a = f32(rng, k, m) if trans_a else f32(rng, m, k)
    b = f32(rng, n, k) if trans_b else f32(rng, k, n)
    bias = f32(rng, n)
    expected = ((a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)) * 0.5 + bias
    got = attention.matmul(a, b, trans_a=trans_a, trans_b=trans_b, alpha=0.5, bias=bias)
    assert got.shape == (m, n)
    # float32 summation error of k products of magnitude ~1 (|x| ~ N(0,1)): ~ sqrt(k)·2^-24·|x|²
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6 * np.sqrt(k + 1) * 4)


def test_matmul_uses_views_without_copying(rng):
    # A transposed view, a strided sub-matrix and an `out` slice of a larger buffer.
    base = f32(rng, 40, 50)
    a = base[5:25, 10:40]            # (20, 30), leading dimension 50
    b = f32(rng, 16, 30).T           # (30, 16), a transposed view: passed with ATTN_TRANS
    big = np.full((20, 40), 7.0, dtype=np.float32)
    out = big[:, 4:20]
    result = attention.matmul(a, b, alpha=1.0, beta=1.0, out=out)
    assert result is out
    np.testing.assert_allclose(big[:, 4:20], 7.0 + a.astype(np.float64) @ b.astype(np.float64), rtol=1e-5, atol=1e-4)
    assert (big[:, :4] == 7).all() and (big[:, 20:] == 7).all(), "writes stayed inside the view"


def test_matmul_converts_other_dtypes(rng):
    a = rng.standard_normal((7, 9))
    b = rng.standard_normal((9, 4))
    np.testing.assert_allclose(attention.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)


def softmax_reference(x, causal=False):
    x = x.astype(np.float64)
    if causal:
        t = x.shape[-1]
        x = np.where(np.tril(np.ones((t, t), dtype=bool)), x, -np.inf)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (65, 63), (4, 255), (2, 3, 33)])
def test_softmax_matches_numpy(rng, shape):
    x = f32(rng, *shape) * 10
    np.testing.assert_allclose(attention.softmax(x), softmax_reference(x), rtol=1e-5, atol=1e-7)


def test_causal_softmax(rng):
    x = f32(rng, 3, 17, 17) * 5
    got = attention.softmax(x, causal=True)
    np.testing.assert_allclose(got, softmax_reference(x, causal=True), rtol=1e-5, atol=1e-7)
    assert (got[:, np.triu_indices(17, 1)[0], np.triu_indices(17, 1)[1]] == 0).all()


def test_softmax_is_stable_for_huge_logits():
    x = np.array([[1e30, 0.0, -1e30], [88.0, 89.0, 90.0]], dtype=np.float32)
    got = attention.softmax(x)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("rows,channels", [(1, 1), (5, 3), (19, 65), (7, 768)])
def test_layernorm_matches_numpy(rng, rows, channels):
    x = f32(rng, rows, channels) * 3 + 1
    w, b = f32(rng, channels), f32(rng, channels)
    out, mean, rstd = attention.layernorm(x, w, b, eps=1e-5, return_stats=True)
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=1)
    rs = 1 / np.sqrt(x64.var(axis=1) + 1e-5)
    np.testing.assert_allclose(mean, mu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rstd, rs, rtol=1e-4)
    np.testing.assert_allclose(out, (x64 - mu[:, None]) * rs[:, None] * w + b, rtol=1e-4, atol=1e-4)


def attention_reference(q, k, v, causal=False, mask=None, scale=None):
    """softmax(scale q kᵀ + mask) v in float64, and the probabilities."""
    q, k, v = (t.astype(np.float64) for t in (q, k, v))
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = scale * q @ np.swapaxes(k, -1, -2)
    tq, tk = q.shape[2], k.shape[2]
    visible = np.ones((tq, tk), dtype=bool)
    if causal:
        visible = np.arange(tk)[None, :] <= np.arange(tq)[:, None] + (tk - tq)
    visible = np.broadcast_to(visible, s.shape)
    if mask is not None:
        visible = visible & ~mask.astype(bool)[:, None, None, :]
    s = np.where(visible, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    p = np.where(visible, np.exp(s - m), 0)
    total = p.sum(axis=-1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    return p @ v, p


def attention_backward_reference(q, k, v, dout, causal=False, mask=None, scale=None):
    """Analytic gradients in float64: dV = Pᵀ dO, dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)), dQ = s dS K,
    dK = s dSᵀ Q."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    out, p = attention_reference(q, k, v, causal, mask, scale)
    q, k, v, dout = (t.astype(np.float64) for t in (q, k, v, dout))
    dv = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dout * out).sum(axis=-1, keepdims=True))
    return scale * ds @ k, scale * np.swapaxes(ds, -1, -2) @ q, dv


CASES = [  # (B, NH, Tq, Tk, HS, causal, padded, scale)
    (1, 2, 17, 17, 32, True, False, None),
    (2, 3, 64, 64, 64, True, False, 0.3),
    (2, 2, 5, 40, 16, True, False, None),    # cached generation: causal aligned to the end
    (2, 2, 9, 33, 80, False, False, -0.2),   # cross-attention
    (2, 2, 20, 20, 32, False, True, None),   # key padding
    (2, 4, 1, 65, 64, True, True, None),     # one query (tiled with probs, decode path below)
]


@pytest.mark.parametrize("b,nh,tq,tk,hs,causal,padded,scale", CASES)
def test_attention_forward_and_backward_match_numpy(rng, b, nh, tq, tk, hs, causal, padded, scale):
    q, k, v = f32(rng, b, nh, tq, hs), f32(rng, b, nh, tk, hs), f32(rng, b, nh, tk, hs)
    mask = None
    if padded:
        mask = np.zeros((b, tk), dtype=bool)
        mask[0, tk - 3:] = True
        mask[1, : tk // 2] = True
    out, lse, probs = attention.attention(q, k, v, causal=causal, key_padding_mask=mask, scale=scale,
                                          return_lse=True, return_probs=True)
    expected, p = attention_reference(q, k, v, causal, mask, scale)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(probs, p, rtol=1e-4, atol=1e-6)
    # Without probabilities a single query takes the split-key decode path.
    plain = attention.attention(q, k, v, causal=causal, key_padding_mask=mask, scale=scale)
    np.testing.assert_allclose(plain, expected, rtol=1e-4, atol=2e-5)

    dout = f32(rng, b, nh, tq, hs)
    dq, dk, dv = attention.attention_backward(q, k, v, out, lse, dout, causal=causal,
                                              key_padding_mask=mask, scale=scale)
    for got, want in zip((dq, dk, dv), attention_backward_reference(q, k, v, dout, causal, mask, scale)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


# Hostile inputs (issue 19 item 9): 0-d arrays, dtypes that are not real numbers, non-contiguous
# layouts and NaN.

@pytest.mark.parametrize("call", [
    lambda x: attention.softmax(x),
    lambda x: attention.softmax(x, causal=True),
    lambda x: attention.layernorm(x),
    lambda x: attention.matmul(x, np.ones((1, 1), np.float32)),
    lambda x: attention.matmul(np.ones((1, 1), np.float32), x),
    lambda x: attention.attention(x, x, x),
], ids=["softmax", "causal-softmax", "layernorm", "matmul-a", "matmul-b", "attention"])
@pytest.mark.parametrize("scalar", [np.float32(1), np.array(2.0), 3.0])
def test_zero_dimensional_inputs_are_shape_errors(call, scalar):
    with pytest.raises(ValueError):  # ShapeError is one
        call(scalar)
    with pytest.raises(attention.ShapeError):
        call(scalar)


def test_zero_dimensional_parameters_are_shape_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(attention.ShapeError):
        attention.layernorm(x, np.float32(1))
    with pytest.raises(attention.ShapeError):
        attention.matmul(x, np.ones((3, 1), np.float32), bias=np.float32(1))


@pytest.mark.parametrize("values", [np.array([["1.5", "2"]]), np.array([[1 + 2j, 3]]),
                                    np.array([[None, 1]], dtype=object), np.array([[b"1", b"2"]])],
                         ids=["str", "complex", "object", "bytes"])
def test_arrays_that_are_not_real_numbers_are_refused_not_cast(values):
    for call in (attention.softmax, attention.layernorm, lambda x: attention.matmul(x, x.T)):
        with pytest.raises(attention.InvalidArgumentError, match="real numbers"):
            call(values)


def test_integer_and_bool_inputs_are_converted(rng):
    ints = rng.integers(-3, 4, size=(4, 6))
    np.testing.assert_allclose(attention.softmax(ints), softmax_reference(ints), rtol=1e-5, atol=1e-7)
    flags = rng.integers(0, 2, size=(4, 6)).astype(bool)
    np.testing.assert_allclose(attention.softmax(flags), softmax_reference(flags.astype(np.float64)),
                               rtol=1e-5, atol=1e-7)


def test_non_contiguous_inputs_give_the_contiguous_result(rng):
    base = f32(rng, 6, 20, 16)
    strided = base[::2, 1::3, ::-1]  # negative and non-unit strides in every axis
    assert not strided.flags.c_contiguous
    dense = np.ascontiguousarray(strided)
    assert np.array_equal(attention.softmax(strided), attention.softmax(dense))
    assert np.array_equal(attention.layernorm(strided), attention.layernorm(dense))
    fortran = np.asfortranarray(f32(rng, 9, 5))
    other = f32(rng, 5, 7)[:, ::-1]
    assert np.array_equal(attention.matmul(fortran, other),
                          attention.matmul(np.ascontiguousarray(fortran), np.ascontiguousarray(other)))
    q = f32(rng, 2, 2, 8, 4)
    k = f32(rng, 2, 2, 4, 8).transpose(0, 1, 3, 2)  # (2, 2, 8, 4), not contiguous
    assert np.array_equal(attention.attention(q, k, k), attention.attention(q, np.ascontiguousarray(k),
                                                                          np.ascontiguousarray(k)))


def test_out_arrays_whose_rows_overlap_or_run_backwards_are_refused():
    x = np.ones((4, 4), np.float32)
    base = np.zeros((4, 4), np.float32)
    overlapping = np.lib.stride_tricks.as_strided(np.zeros(8, np.float32), shape=(4, 4), strides=(4, 4),
                                                  writeable=True)
    for out in (base[::-1], overlapping, np.zeros((4, 8), np.float32)[:, ::2], np.zeros((4, 4))):
        with pytest.raises(attention.ShapeError, match="matmul: out must be"):
            attention.matmul(x, x, out=out)
    assert (base == 0).all()


def test_nan_stays_in_its_row(rng):
    x = f32(rng, 3, 5)
    x[1, 2] = np.nan
    for got, reference in ((attention.softmax(x), softmax_reference(x)),
                           (attention.layernorm(x), None)):
        assert np.isnan(got[1]).all()
        assert np.isfinite(got[[0, 2]]).all()
        if reference is not None:
            np.testing.assert_allclose(got[[0, 2]], reference[[0, 2]], rtol=1e-5, atol=1e-7)
    product = attention.matmul(x, f32(rng, 5, 4))
    assert np.isnan(product[1]).all() and np.isfinite(product[[0, 2]]).all()
    q = f32(rng, 1, 1, 3, 4)
    q[0, 0, 1, 0] = np.nan
    out = attention.attention(q, f32(rng, 1, 1, 3, 4), f32(rng, 1, 1, 3, 4))
    assert np.isnan(out[0, 0, 1]).all() and np.isfinite(out[0, 0, [0, 2]]).all()


def test_non_finite_scalar_parameters_are_refused(rng):
    x = f32(rng, 2, 3)
    for eps in (float("nan"), float("inf"), 0.0, -1.0):
        with pytest.raises(attention.InvalidArgumentError):
            attention.layernorm(x, eps=eps)
    q = f32(rng, 1, 1, 2, 4)
    for scale in (float("nan"), float("inf")):
        with pytest.raises(attention.InvalidArgumentError):
            attention.attention(q, q, q, scale=scale)


def test_key_padding_mask_takes_any_nonzero_integer_as_masked(rng):
    q, k, v = f32(rng, 1, 1, 2, 4), f32(rng, 1, 1, 3, 4), f32(rng, 1, 1, 3, 4)
    as_bool = attention.attention(q, k, v, key_padding_mask=np.array([[False, True, False]]))
    # 256 would wrap to 0 ("keep") in a cast to uint8.
    assert np.array_equal(attention.attention(q, k, v, key_padding_mask=np.array([[0, 256, 0]])), as_bool)
    with pytest.raises(attention.InvalidArgumentError):
        attention.attention(q, k, v, key_padding_mask=np.array([[0.0, 0.5, 0.0]]))
