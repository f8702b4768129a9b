"""`Trainer` under `mpirun -np 2 python3 train.py` (issue 16, docs/distributed.md): the same
script as in one process; `Trainer.world` reports (rank, size), and the two ranks end with
byte-identical weights. CI installs Open MPI and sets ATTN_REQUIRE_MPI=1 (no skipping there)."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import attention

MPIRUN = shutil.which("mpirun")
requires_mpi = pytest.mark.skipif(MPIRUN is None and os.environ.get("ATTN_REQUIRE_MPI") != "1",
                                  reason="Open MPI is not installed")


def run_two_ranks(script, extra_env=None, timeout=300):
    """`mpirun -np 2 python3 script` with this very package and library on both ranks, one
    OpenMP thread each and `extra_env` exported to them; returns the finished process."""
    assert MPIRUN is not None, "ATTN_REQUIRE_MPI=1 but mpirun is missing"
    package_parent = os.path.dirname(os.path.dirname(os.path.realpath(attention.__file__)))
    extra_env = extra_env or {}
    env = {**os.environ, "PYTHONPATH": package_parent, "ATTENTION_LIBRARY": attention._capi.lib._name,
           "OMP_NUM_THREADS": "1", **extra_env}
    exports = [argument for name in extra_env for argument in ("-x", name)]
    return subprocess.run([MPIRUN, "--allow-run-as-root", "--oversubscribe", *exports, "-np", "2", sys.executable,
                           str(script)], capture_output=True, text=True, timeout=timeout, env=env)


def test_a_plain_process_is_rank_0_of_1(corpus_tokenizer):
    config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=16, block_size=8, dropout=0.0, seed=1)
    with attention.Model(config, corpus_tokenizer) as model:
        assert attention.Trainer(model, attention.TrainConfig(steps=1, batch_size=3)).world == (0, 1)


@requires_mpi
def test_two_ranks_report_their_rank_and_keep_identical_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=0.1, seed=7)
        model = attention.Model(config, tokenizer)
        trainer = attention.Trainer(model, attention.TrainConfig(steps=5, batch_size=4))
        rank, size = trainer.world
        assert size == 2, trainer.world
        trainer.run_tokens(ids)
        # Every rank saves its own copy here so that the test can compare them.
        trainer.save(r"{tmp_path}/rank%d.safetensors" % rank)
    """))
    result = run_two_ranks(script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "rank0.safetensors").read_bytes() == (tmp_path / "rank1.safetensors").read_bytes()


@requires_mpi
def test_the_gradient_sum_settings_change_no_bit(tmp_path):
    """TrainConfig's gradient-sum settings (attn_train_config.gradient_bucket_bytes and
    no_gradient_overlap): overlapped in the default 1 MiB buckets, in 512-byte buckets (one per
    parameter), or after backward, two ranks train to the same bytes."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=0.1, seed=5)
        for name, settings in [("default", {{}}), ("small", dict(gradient_bucket_bytes=512)),
                               ("after", dict(no_gradient_overlap=True))]:
            model = attention.Model(config, tokenizer)
            trainer = attention.Trainer(model, attention.TrainConfig(steps=4, batch_size=4, **settings))
            trainer.run_tokens(ids)
            trainer.save(r"{tmp_path}/%s-rank%d.safetensors" % (name, trainer.world[0]))
    """))
    result = run_two_ranks(script)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "default-rank0.safetensors").read_bytes()
    for name in ("default", "small", "after"):
        for rank in (0, 1):
            assert (tmp_path / f"{name}-rank{rank}.safetensors").read_bytes() == reference, (name, rank)


@requires_mpi
def test_ranks_with_different_gradient_sum_settings_get_a_clear_error(tmp_path):
    """Rank 0 overlaps the sum, rank 1 does not (then: different bucket sizes): the first step
    raises the same clear error on both ranks, which can go on (here: train with equal settings),
    instead of MPI ending the job over messages of different sizes."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=0.0, seed=2)
        model = attention.Model(config, tokenizer)
        rank = attention.Trainer(model, attention.TrainConfig(steps=1, batch_size=4)).world[0]
        for mine in [dict(no_gradient_overlap=True), dict(gradient_bucket_bytes=64)]:
            trainer = attention.Trainer(model, attention.TrainConfig(steps=2, batch_size=4, **(mine if rank == 1 else {{}})))
            try:
                trainer.run_tokens(ids)
                raise SystemExit("different gradient-sum settings were accepted")
            except attention.InvalidArgumentError as error:
                assert "different settings" in str(error) and "rank 0: overlapped" in str(error), error
            assert trainer.step_count == 0, trainer.step_count
        trainer = attention.Trainer(model, attention.TrainConfig(steps=2, batch_size=4))
        trainer.run_tokens(ids)
        open(r"{tmp_path}/done%d" % rank, "w").close()
    """))
    result = run_two_ranks(script, {"ATTN_MPI_TIMEOUT": "60"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "done0").exists() and (tmp_path / "done1").exists()


@requires_mpi
def test_a_host_whose_mpi_is_funneled_trains_with_the_overlap_off(tmp_path):
    """A host that initialized MPI itself at MPI_THREAD_FUNNELED (below what the overlapped sum's
    communication thread needs): the default config is a clear error naming the way out, and
    TrainConfig(no_gradient_overlap=True) trains, to the same bytes on both ranks."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import ctypes
        mpi = ctypes.CDLL("libmpi.so.40", mode=ctypes.RTLD_GLOBAL)
        provided = ctypes.c_int(-1)
        assert mpi.MPI_Init_thread(None, None, 1, ctypes.byref(provided)) == 0  # MPI_THREAD_FUNNELED
        assert provided.value == 1, provided.value
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=0.1, seed=9)
        model = attention.Model(config, tokenizer)
        try:
            attention.Trainer(model, attention.TrainConfig(steps=3, batch_size=4))
            raise SystemExit("the overlapped sum was accepted below MPI_THREAD_SERIALIZED")
        except attention.InvalidArgumentError as error:
            assert "no_gradient_overlap" in str(error), error
        trainer = attention.Trainer(model, attention.TrainConfig(steps=3, batch_size=4, no_gradient_overlap=True))
        assert trainer.world[1] == 2, trainer.world
        trainer.run_tokens(ids)
        trainer.save(r"{tmp_path}/rank%d.safetensors" % trainer.world[0])
        trainer.close()
        model.close()
        assert mpi.MPI_Finalize() == 0
    """))
    result = run_two_ranks(script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "rank0.safetensors").read_bytes() == (tmp_path / "rank1.safetensors").read_bytes()


@requires_mpi
def test_a_resumed_two_rank_run_equals_the_uninterrupted_one_bitwise(tmp_path):
    common = f"""
        import dataclasses
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        model_config = attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=0.1, seed=3)
        config = attention.TrainConfig(steps=10, batch_size=4, eval_interval=5)
        out = r"{tmp_path}"
    """
    first = tmp_path / "first.py"
    first.write_text(textwrap.dedent(common + """
        model = attention.Model(model_config, tokenizer)
        trainer = attention.Trainer(model, config)
        trainer.run_tokens(ids)
        rank, _ = trainer.world
        if rank == 0:
            trainer.save(out + "/straight.safetensors")
        # Only rank 0's callback asks to stop, after step 5: every rank stops there together.
        model = attention.Model(model_config, tokenizer)
        trainer = attention.Trainer(model, config, on_progress=lambda p: rank == 0 and p.step == 5)
        trainer.run_tokens(ids)
        assert trainer.step_count == 5, trainer.step_count
        if rank == 0:
            trainer.save(out + "/half.safetensors")
    """))
    second = tmp_path / "second.py"
    second.write_text(textwrap.dedent(common + """
        # Every rank resumes from rank 0's checkpoint.
        model = attention.Model.load(out + "/half.safetensors")
        trainer = attention.Trainer(model, dataclasses.replace(config, resume=True))
        trainer.run_tokens(ids)
        if trainer.world[0] == 0:
            trainer.save(out + "/resumed.safetensors")
    """))
    for script in (first, second):
        result = run_two_ranks(script, {"ATTN_CHECK_REPLICAS": "1"})
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "resumed.safetensors").read_bytes() == (tmp_path / "straight.safetensors").read_bytes()


@requires_mpi
def test_a_hung_rank_ends_the_job_after_the_timeout_with_a_message(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(textwrap.dedent("""
        import time
        import attention
        tokenizer = attention.Tokenizer(attention.default_corpus())
        ids = tokenizer.encode(attention.default_corpus())
        model = attention.Model(attention.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=16, block_size=8, seed=1), tokenizer)
        trainer = attention.Trainer(model, attention.TrainConfig(steps=3, batch_size=2))
        if trainer.world[0] == 1:
            time.sleep(3600)  # hangs: rank 0 waits for it at the first gradient sum
        trainer.run_tokens(ids)
    """))
    # Without the timeout the job would hang until subprocess's timeout kills the test.
    result = run_two_ranks(script, {"ATTN_MPI_TIMEOUT": "2"}, timeout=240)
    assert result.returncode != 0
    assert "rank 0 of 2: no answer from rank 1 within 2 s during the gradient sum" in result.stderr, result.stderr
