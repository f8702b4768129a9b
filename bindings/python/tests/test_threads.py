"""Concurrency: ctypes releases the GIL, so Python threads call the library in parallel; results
match serial runs and do not depend on the library's thread count."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import attention


def test_python_threads_calling_concurrently_match_serial(rng):
    inputs = [(rng.standard_normal((96, 80)).astype(np.float32),
               rng.standard_normal((80, 72)).astype(np.float32),
               rng.standard_normal((2, 4, 33, 32)).astype(np.float32)) for _ in range(8)]

    def work(item):
        a, b, q = item
        return attention.matmul(a, b), attention.softmax(a), attention.attention(q, q, q, causal=True)

    serial = [work(item) for item in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            parallel = list(pool.map(work, inputs))
            for s, p in zip(serial, parallel):
                for x, y in zip(s, p):
                    assert np.array_equal(x, y)


def test_results_are_bitwise_identical_for_any_thread_count(rng):
    a = rng.standard_normal((300, 200)).astype(np.float32)
    b = rng.standard_normal((200, 150)).astype(np.float32)
    q = rng.standard_normal((1, 8, 130, 64)).astype(np.float32)
    results = []
    try:
        for threads in (1, 2, 3):
            attention.set_num_threads(threads)
            out, lse = attention.attention(q, q, q, causal=True, return_lse=True)
            grads = attention.attention_backward(q, q, q, out, lse, q, causal=True)
            results.append([attention.matmul(a, b), attention.layernorm(a), out, *grads])
    finally:
        attention.set_num_threads(2)
    for other in results[1:]:
        for x, y in zip(results[0], other):
            assert np.array_equal(x, y)
