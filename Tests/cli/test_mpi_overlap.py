"""The gradient sum overlapped with backward (issue 16 item 3, docs/distributed.md): summing the
gradients in buckets on a communication thread while backward runs gives bitwise the checkpoints
and losses of the sum after backward, for 2 and 3 ranks, whatever the bucket size (one bucket per
parameter, a few, one) and the thread count; absurd bucket sizes are refused.

Each bucket is summed with the same algorithm as the whole buffer (rank 0 adds rank 1's, then
rank 2's, … values, element by element), so the bits can only differ if a gradient were packed
before backward finished it, or a bucket were summed with another rank's bucket: these tests
would catch either."""
import json

import pytest

from test_mpi_training import ATTN, SEQ2SEQ, TRAIN, mpirun, needs_mpi, steps_and_done

# One byte per bucket: every parameter is a bucket of its own (the most buckets, launched while
# backward runs); 0.002 MiB: a few parameters per bucket.
BUCKETS = {"one-per-parameter": ["--gradient-bucket-mb", "0.000001"], "a-few": ["--gradient-bucket-mb", "0.002"],
           "default": [], "after-backward": ["--no-overlap"]}


def train(tmp_path, ranks, options, name, threads=1):
    out = tmp_path / f"{name}.safetensors"
    result = mpirun(ranks, ATTN, *options, "--out", out, env={"ATTN_CHECK_REPLICAS": "1"}, threads=threads)
    assert result.returncode == 0, result.stdout + result.stderr
    steps, done = steps_and_done(result.stdout)
    assert len(done) == 1
    return out.read_bytes(), [step["loss"] for step in steps], [step["gradient_buckets"] for step in steps]


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("options", [TRAIN, SEQ2SEQ], ids=["gpt", "seq2seq"])
def test_bucketed_sum_gives_the_bits_of_the_sum_after_backward(tmp_path, ranks, options):
    runs = {name: train(tmp_path, ranks, options + extra, name) for name, extra in BUCKETS.items()}
    reference_checkpoint, reference_losses, buckets = runs["after-backward"]
    assert set(buckets) == {1}
    for name, (checkpoint, losses, buckets) in runs.items():
        assert losses == reference_losses, name
        assert checkpoint == reference_checkpoint, f"{name} differs from the sum after backward"
    # The small sizes really cut several buckets (a parameter each for the smallest).
    one_per_parameter, a_few = runs["one-per-parameter"][2][0], runs["a-few"][2][0]
    assert one_per_parameter > a_few > 1, (one_per_parameter, a_few)


@needs_mpi
def test_bucketed_sum_is_bitwise_independent_of_the_thread_count(tmp_path):
    options = TRAIN + BUCKETS["a-few"]
    one_thread = train(tmp_path, 2, options, "one", threads=1)
    two_threads = train(tmp_path, 2, options, "two", threads=2)
    assert one_thread[0] == two_threads[0]
    assert one_thread[1] == two_threads[1]


@pytest.mark.parametrize("size", ["0", "-1", "-0", "nan", "inf", "1e300", "1048577"])
def test_an_absurd_bucket_size_is_refused(tmp_path, size):
    import subprocess
    result = subprocess.run([str(ATTN), "train", "--steps", "1", f"--gradient-bucket-mb={size}",
                             "--out", str(tmp_path / "m.safetensors")], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "--gradient-bucket-mb must be more than 0 and at most 1048576" in result.stderr, result.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_a_bucket_size_without_overlap_is_refused(tmp_path):
    import subprocess
    result = subprocess.run([str(ATTN), "train", "--steps", "1", "--gradient-bucket-mb", "1", "--no-overlap",
                             "--out", str(tmp_path / "m.safetensors")], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "--gradient-bucket-mb sizes the overlapped sum: drop it or --no-overlap" in result.stderr, result.stderr


# A host that initialized MPI itself (as mpi4py may) with too low a thread level for the
# communication thread: creating a trainer through the C ABI is a clear error, not a data race.
HOST_INITIALIZES_MPI = r"""
#include <mpi.h>
#include <stdio.h>
#include "attention.h"

int main(int argc, char **argv) {
    int level = argv[1][0] == 'f' ? MPI_THREAD_FUNNELED : MPI_THREAD_SERIALIZED, provided = -1;
    MPI_Init_thread(NULL, NULL, level, &provided);
    attn_model_config config = {.struct_size = sizeof config};
    attn_model_config_default(ATTN_MODEL_GPT, &config);
    config.vocab_size = 16;
    attn_model_t *model = NULL;
    if (attn_model_init(&config, NULL, &model) != ATTN_OK) return 2;
    attn_train_config training = {.struct_size = sizeof training};
    attn_train_config_default(&training);
    attn_trainer_t *trainer = NULL;
    attn_status status = attn_trainer_init(model, &training, &trainer);
    printf("provided %d: %s\n", provided, status == ATTN_OK ? "ok" : attn_last_error());
    attn_trainer_free(trainer);
    attn_model_free(model);
    MPI_Finalize();
    return 0;
}
"""


@needs_mpi
@pytest.mark.parametrize("level, expected", [
    ("funneled", "MPI was initialized with less than MPI_THREAD_SERIALIZED"),
    ("serialized", "provided 2: ok"),
])
def test_a_host_mpi_below_thread_serialized_is_a_clear_error(tmp_path, level, expected):
    import shutil
    import subprocess
    mpicc = shutil.which("mpicc")
    assert mpicc is not None, "mpicc comes with libopenmpi-dev"
    source, program = tmp_path / "host.c", tmp_path / "host"
    source.write_text(HOST_INITIALIZES_MPI)
    library = ATTN.parent
    subprocess.run([mpicc, f"-I{library.parents[1] / 'include'}", str(source), f"-L{library}", "-lattention",
                    f"-Wl,-rpath,{library}", "-o", str(program)], check=True, capture_output=True)
    result = mpirun(2, program, level)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(expected in line for line in lines), result.stdout
