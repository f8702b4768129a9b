"""Data-parallel training over MPI (issue 16, docs/distributed.md), run as real 2- and 3-rank
Open MPI jobs on this machine: N ranks give one process's per-step losses (dropout on) to 1e-5
relative, the ranks' weights stay bitwise identical, two runs give bitwise identical
checkpoints, only rank 0 prints and writes, and errors end the whole job with a message. (The Python
package under mpirun: bindings/python/tests/test_distributed.py.)

CI installs Open MPI (.ci/run) and sets ATTN_REQUIRE_MPI=1, so there these tests cannot be
skipped; elsewhere they are skipped when `mpirun` is missing. The library's independence from
MPI is checked without it."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ATTN = ROOT / ".build" / "release" / "attn"
LIBRARY = ROOT / ".build" / "release" / "libattention.so"
MPIRUN = shutil.which("mpirun")

needs_mpi = pytest.mark.skipif(MPIRUN is None and os.environ.get("ATTN_REQUIRE_MPI") != "1",
                               reason="Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)")

# A small GPT with dropout on; a global batch of 6 rows divides by 1, 2 and 3 ranks.
TRAIN = ["train", "--steps", "8", "--batch-size", "6", "--n-layer", "1", "--n-head", "2", "--n-embd", "32",
         "--block-size", "16", "--dropout", "0.2", "--json"]
# Seq2seq: ranks hold different numbers of non-PAD answer tokens, so the gradient sum must weight
# each rank by its token count to equal one process.
SEQ2SEQ = ["train", "--model", "seq2seq", "--steps", "6", "--batch-size", "6", "--n-layer", "1", "--n-embd", "32", "--json"]


def mpirun(ranks, *command, env=None, timeout=300, threads=1):
    assert MPIRUN is not None, "ATTN_REQUIRE_MPI=1 but mpirun is missing"
    # As root Open MPI wants --allow-run-as-root; --oversubscribe: more ranks than cores here.
    # One thread per rank keeps 3 ranks from fighting over the 2 cores.
    launcher = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-x", f"OMP_NUM_THREADS={threads}", "-np", str(ranks)]
    for name in (env or {}):
        launcher += ["-x", name]
    return subprocess.run(launcher + [str(c) for c in command], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def steps_and_done(stdout):
    events = [json.loads(line) for line in stdout.splitlines()]
    steps = [event for event in events if event["event"] == "step"]
    done = [event for event in events if event["event"] == "done"]
    return steps, done


def single_process_losses(tmp_path, train):
    result = subprocess.run([str(ATTN), *train, "--out", str(tmp_path / "one.safetensors")], capture_output=True,
                            text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    return [(step["loss"], step.get("validation_loss")) for step in steps_and_done(result.stdout)[0]]


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("train", [TRAIN, SEQ2SEQ], ids=["gpt", "seq2seq"])
def test_ranks_match_one_process_and_runs_are_bitwise_repeatable(tmp_path, ranks, train):
    expected = single_process_losses(tmp_path, train)
    steps_run = int(train[train.index("--steps") + 1])
    checkpoints = []
    for run in range(2):
        out = tmp_path / f"run{run}.safetensors"
        # ATTN_CHECK_REPLICAS=1: every step, each rank compares a hash of its weights with rank 0's.
        result = mpirun(ranks, ATTN, *train, "--out", out, env={"ATTN_CHECK_REPLICAS": "1"})
        assert result.returncode == 0, result.stdout + result.stderr
        steps, done = steps_and_done(result.stdout)
        assert len(done) == 1, "only rank 0 reports"
        assert [step["step"] for step in steps] == list(range(1, steps_run + 1))
        losses = [(step["loss"], step.get("validation_loss")) for step in steps]
        assert [v is None for _, v in losses] == [v is None for _, v in expected]
        # Training and (sharded) validation losses.
        for step, (got, want) in enumerate(zip(losses, expected), start=1):
            for got_value, want_value in zip(got, want):
                if want_value is not None:
                    assert abs(got_value - want_value) <= 1e-5 * abs(want_value), (step, got, want)
        checkpoints.append(out.read_bytes())
    assert checkpoints[0] == checkpoints[1], "two runs with the same rank count differ"
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["one.best.safetensors", "one.safetensors", "run0.best.safetensors", "run0.safetensors",
                       "run1.best.safetensors", "run1.safetensors"]


@needs_mpi
def test_a_rank_with_other_options_is_caught_and_ends_the_job(tmp_path):
    # MPMD: rank 1 gets another seed, hence other initial weights; the replica check names it.
    out = tmp_path / "m.safetensors"
    assert MPIRUN is not None
    launcher = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-x", "OMP_NUM_THREADS=1", "-x", "ATTN_CHECK_REPLICAS"]
    result = subprocess.run(launcher + ["-np", "1", str(ATTN), *TRAIN, "--out", str(out), ":",
                                        "-np", "1", str(ATTN), *TRAIN, "--seed", "2", "--out", str(out)],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "ATTN_CHECK_REPLICAS": "1"})
    assert result.returncode != 0
    assert "the weights of rank 1 differ from rank 0's" in result.stderr, result.stderr


@needs_mpi
def test_a_batch_that_does_not_divide_by_the_ranks_is_a_clear_error(tmp_path):
    result = mpirun(3, ATTN, "train", "--steps", "2", "--batch-size", "4", "--out", tmp_path / "m.safetensors")
    assert result.returncode != 0
    assert "the batch size 4 is the global batch and must divide by the 3 ranks" in result.stderr, result.stderr


@needs_mpi
def test_time_budget_is_refused_under_mpirun(tmp_path):
    result = mpirun(2, ATTN, "train", "--time", "5", "--out", tmp_path / "m.safetensors")
    assert result.returncode != 0
    assert "--time cannot be used under mpirun" in result.stderr, result.stderr


@pytest.mark.parametrize("library, message", [
    # What a machine without Open MPI sees under a launcher: the library cannot be opened.
    ("no-libmpi.so", "runs under an MPI launcher, but the MPI library cannot be loaded"),
    (".", "runs under an MPI launcher, but the MPI library cannot be loaded"),   # a directory
    ("/dev/null", "runs under an MPI launcher, but the MPI library cannot be loaded"),
    ("libm.so.6", "the MPI library has no MPI_Init_thread: only Open MPI is supported"),  # not MPI
])
def test_a_launcher_without_a_usable_mpi_library_is_a_clear_error(tmp_path, library, message):
    path = library if library.startswith(("/", "lib")) else str(tmp_path / library)
    env = {**os.environ, "OMPI_COMM_WORLD_SIZE": "2", "ATTN_MPI_LIBRARY": path}
    result = subprocess.run([str(ATTN), "train", "--steps", "1", "--out", str(tmp_path / "m.safetensors")],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_the_library_and_command_do_not_link_mpi():
    for binary in (ATTN, LIBRARY):
        linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        assert "libmpi" not in linked, linked


@needs_mpi
def test_an_error_on_rank_0_ends_the_whole_job_with_the_rank_named(tmp_path):
    # Rank 0 alone checks the output folder; the other rank would otherwise wait for it forever.
    result = mpirun(2, ATTN, "train", "--steps", "2", "--out", tmp_path / "missing" / "m.safetensors")
    assert result.returncode != 0
    assert "attn: rank 0 of 2: cannot write" in result.stderr and "ending the job" in result.stderr, result.stderr


@needs_mpi
def test_ctrl_c_on_mpirun_saves_once_and_every_rank_exits(tmp_path):
    # Open MPI's mpirun answers Ctrl-C (SIGINT) by sending the ranks SIGTERM after
    # odls_base_sigkill_timeout seconds and SIGKILL as long again after that (1 s by default: too
    # soon to finish a step, hence the option in the docs). On SIGTERM each rank stops after the
    # step it is in, rank 0 saves once, and every rank exits.
    import re
    import signal
    import time
    out = tmp_path / "m.safetensors"
    assert MPIRUN is not None
    launcher = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "--mca", "odls_base_sigkill_timeout", "10",
                "-x", "OMP_NUM_THREADS=1", "-np", "2"]
    train = ["train", "--steps", "10000000", "--batch-size", "6", "--n-layer", "1", "--n-head", "2", "--n-embd", "32",
             "--block-size", "16", "--checkpoint-every", "100000000", "--out", str(out)]
    process = subprocess.Popen(launcher + [str(ATTN), *train], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    saved = re.findall(r"interrupted at step (\d+); validation loss [0-9.]+; saved (\S+)", stdout)
    assert len(saved) == 1 and saved[0][1] == str(out), stdout + stderr
    step = int(saved[0][0])
    header_length = int.from_bytes(out.read_bytes()[:8], "little")
    metadata = json.loads(out.read_bytes()[8:8 + header_length])["__metadata__"]
    assert metadata["training.step"] == str(step), metadata
    generated = subprocess.run([str(ATTN), "generate", "--model", str(out), "--tokens", "4"],
                               capture_output=True, text=True, timeout=120)
    assert generated.returncode == 0, generated.stderr
    leftover = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True).stdout
    assert leftover == "", leftover
