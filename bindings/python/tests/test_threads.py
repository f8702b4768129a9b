"""Concurrency: ctypes releases the GIL, so Python threads call the library in parallel; results
match serial runs and do not depend on the library's thread count."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from conftest import tiny_gpt_config

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


PROMPTS = ["道可道", "天下皆知", "学而时习之", "床前明月光", "道", "有物混成", "上善若水", "知人者智"]


def generate_all(model, prompts, context=None):
    """(text, first attention map) for each prompt, with `context` or a new one."""
    own = context is None
    context = context or attention.Context(model)
    try:
        return [(context.generate(prompt, max_new_tokens=24, temperature=1.0, seed=seed, stop_at_eos=False),
                 context.attention(prompt)[0].weights) for seed, prompt in enumerate(prompts)]
    finally:
        if own:
            context.close()


def test_threads_generating_from_one_model_match_serial(trained_gpt, corpus_ids):
    serial = [generate_all(trained_gpt, [prompt]) for prompt in PROMPTS]
    tokens = np.stack([corpus_ids[i:i + 16] for i in range(0, 64, 8)])
    logits = trained_gpt.forward(tokens)

    def work(index):
        # Each thread: its own context, plus forward passes on the shared model.
        return generate_all(trained_gpt, [PROMPTS[index]]), trained_gpt.forward(tokens)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(2):
            for expected, (got, got_logits) in zip(serial, pool.map(work, range(len(PROMPTS)))):
                assert [text for text, _ in got] == [text for text, _ in expected]
                assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, expected))
                assert np.array_equal(got_logits, logits)


def test_a_context_shared_by_threads_serializes_its_calls(trained_gpt):
    expected = [generate_all(trained_gpt, [prompt])[0] for prompt in PROMPTS]
    with attention.Context(trained_gpt) as shared, ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: generate_all(trained_gpt, [p], context=shared)[0], PROMPTS))
    assert [text for text, _ in results] == [text for text, _ in expected]


def test_training_and_generation_do_not_depend_on_the_thread_count(corpus_tokenizer, corpus_ids):
    results = []
    try:
        for threads in (1, 2, 3):
            attention.set_num_threads(threads)
            losses = []
            model = attention.Model(tiny_gpt_config(n_embd=64, dropout=0.1), corpus_tokenizer)
            config = attention.TrainConfig(steps=8, batch_size=8, learning_rate=1e-2, eval_interval=4)
            attention.Trainer(model, config, on_progress=losses.append).run_tokens(corpus_ids)
            results.append(([(p.loss, p.validation_loss) for p in losses], model.to_bytes(),
                            model.generate("道可道", max_new_tokens=16, seed=1)))
    finally:
        attention.set_num_threads(2)
    assert results[0] == results[1] == results[2]


def test_results_are_copied_before_another_thread_reuses_or_closes_the_context(trained_gpt):
    # A context's results live in its buffers until its next call: the bindings must copy them
    # while the context is still theirs. Four threads share one context; one closes it midway.
    expected = {seed: trained_gpt.generate("道", max_new_tokens=24, seed=seed, stop_at_eos=False)
                for seed in range(8)}
    shared = attention.Context(trained_gpt)
    failures = []

    def work(worker):
        for round_ in range(12):
            seed = (worker + round_) % 8
            try:
                if worker == 0 and round_ == 9:
                    shared.close()
                if shared.generate("道", max_new_tokens=24, seed=seed, stop_at_eos=False) != expected[seed]:
                    failures.append(seed)
            except attention.ClosedError:
                pass
            except Exception as error:  # e.g. UnicodeDecodeError from a buffer being rewritten
                failures.append(error)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    assert failures == []
    assert shared.closed
