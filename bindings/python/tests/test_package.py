"""The installed package: version, typing marker, reprs, and how it finds and loads the library
(hostile cases: ATTENTION_LIBRARY at a directory, a non-library, another library; read-only
install; threads importing at once). Subprocesses import the same copy of the package this
process imported, installed or not."""
import importlib.metadata
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest

import attention
from conftest import tiny_gpt_config

PACKAGE = os.path.dirname(os.path.realpath(attention.__file__))
LIBRARY = os.path.realpath(attention._capi.lib._name)


def run_python(code, tmp_path, python_path=None, **environment):
    """Runs `code` in a fresh interpreter, in tmp_path (so the checkout is not on sys.path),
    importing `attention` from `python_path` (default: where this process got it)."""
    env = {key: value for key, value in os.environ.items() if key != "ATTENTION_LIBRARY"}
    env["PYTHONPATH"] = python_path or os.path.dirname(PACKAGE)
    env.update(environment)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version_is_the_library_version_and_the_distribution_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", attention.__version__)
    assert attention.__version__ == attention.version()
    try:
        distribution = importlib.metadata.distribution("attention")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("attention is not installed (running from the checkout)")
    installed = os.path.realpath(distribution.locate_file("attention/__init__.py"))
    if installed != os.path.realpath(attention.__file__):
        pytest.skip(f"another copy of attention is installed ({installed})")
    assert distribution.version == attention.__version__


def test_typing_marker_is_shipped():
    assert os.path.isfile(os.path.join(PACKAGE, "py.typed"))


def test_reprs_say_what_the_object_is(corpus_tokenizer):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    vocab = corpus_tokenizer.vocab_size
    expected_model = f"<attention.Model gpt, {model.parameter_count:,} parameters, vocab {vocab}, 2 layers, n_embd 32, open>"
    assert repr(model) == expected_model
    assert repr(corpus_tokenizer) == f"<attention.Tokenizer vocab {vocab}, open>"
    with attention.Context(model) as context:
        assert repr(context) == f"<attention.Context of {expected_model}, open>"
    config = attention.TrainConfig(steps=3, batch_size=2)
    with attention.Trainer(model, config) as trainer:
        assert repr(trainer) == (f"<attention.Trainer of {expected_model}, steps 3, batch_size 2, "
                                 f"learning_rate {config.learning_rate:g}, open>")
    assert repr(trainer) == "<attention.Trainer closed>"
    seq2seq = attention.Model(attention.ModelConfig("seq2seq", n_layer=1, n_decoder_layer=2), corpus_tokenizer)
    assert repr(seq2seq).startswith("<attention.Model seq2seq, ") and "1+2 layers" in repr(seq2seq)
    model.close()
    assert repr(model) == "<attention.Model closed>"
    assert "kind='gpt'" in repr(attention.ModelConfig("gpt")) and "n_layer=" in repr(attention.ModelConfig("gpt"))
    assert "steps=3" in repr(config) and "learning_rate=" in repr(config)


def test_reprs_work_inside_callbacks_of_the_object_they_describe(corpus_tokenizer, corpus_ids):
    """A trainer and its model are busy during a run: their reprs must neither call into them
    (InvalidArgumentError "already in a call") nor wait for the run (deadlock)."""
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    seen = []
    with attention.Trainer(model, attention.TrainConfig(steps=2, batch_size=2, eval_interval=0),
                           on_progress=lambda progress: seen.append((repr(trainer), repr(model)))) as trainer:
        trainer.run_tokens(corpus_ids)
        assert seen == [(repr(trainer), repr(model))] * 2
    assert seen[0][0].startswith(f"<attention.Trainer of {seen[0][1]}, steps 2")
    with attention.Context(model) as context:
        tokens = []
        context.generate("道", max_new_tokens=2, seed=1, on_token=lambda token, text: tokens.append(repr(context)))
        assert tokens == [repr(context)] * 2
    model.close()


def test_attention_map_repr_is_short(trained_gpt):
    with attention.Context(trained_gpt) as context:
        first = context.attention("道可道")[0]
    assert repr(first) == "AttentionMap(kind='self', layer=0, weights=<float32 (NH 2, Tq 3, Tk 3)>)"


IMPORT_AND_REPORT = """
    import attention, numpy as np
    print(attention._capi.lib._name)
    print(attention.matmul(np.ones((2, 3), np.float32), np.ones((3, 1), np.float32)).ravel().tolist())
"""


def test_attention_library_overrides_the_installed_copy(tmp_path):
    copy = tmp_path / "elsewhere" / "libattention.so"
    copy.parent.mkdir()
    shutil.copy(LIBRARY, copy)
    result = run_python(IMPORT_AND_REPORT, tmp_path, ATTENTION_LIBRARY=str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(copy), "[3.0, 3.0]"]


@pytest.mark.parametrize("target,message", [
    ("directory", "is a directory"),
    ("text file", "cannot be loaded"),
    ("empty file", "cannot be loaded"),
    ("missing file", "cannot be loaded"),
    ("libm", "is not libattention"),
    ("fifo", "not a regular file"),
    ("device", "not a regular file"),
])
def test_a_bad_attention_library_is_a_clear_import_error(tmp_path, target, message):
    paths = {"directory": tmp_path, "text file": tmp_path / "notes.txt", "empty file": tmp_path / "empty.so",
             "missing file": tmp_path / "missing.so", "libm": "libm.so.6", "fifo": tmp_path / "fifo.so",
             "device": "/dev/null"}
    os.mkfifo(tmp_path / "fifo.so")  # dlopen would wait forever for a writer    (tmp_path / "notes.txt").write_text("not a library\n")
    (tmp_path / "empty.so").write_bytes(b"")
    result = run_python("import attention", tmp_path, ATTENTION_LIBRARY=str(paths[target]))
    assert result.returncode == 1, "an exception, not a crash"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: ATTENTION_LIBRARY: "), result.stderr
    assert message in last_line and str(paths[target]) in last_line


def test_an_empty_attention_library_variable_is_ignored(tmp_path):
    result = run_python(IMPORT_AND_REPORT, tmp_path, ATTENTION_LIBRARY="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [attention._capi.lib._name, "[3.0, 3.0]"]


def test_threads_importing_at_once_get_one_working_module(tmp_path):
    result = run_python("""
        import importlib, threading, numpy as np
        barrier = threading.Barrier(8)
        modules, errors = [], []
        def work():
            try:
                barrier.wait()
                module = importlib.import_module("attention")
                modules.append(module)
                assert module.matmul(np.eye(3, dtype=np.float32), np.eye(3, dtype=np.float32)).trace() == 3
                with module.Tokenizer("abc") as tokenizer:
                    assert tokenizer.vocab_size == 7
            except BaseException as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=work) for _ in range(8)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        print(len(modules), len({id(module) for module in modules}), errors)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8 1 []"


def test_a_read_only_installation_works_and_writes_nothing(tmp_path):
    """The installed layout (package folder with libattention.so inside), made read-only. An
    audit hook records every write the import and a little work attempt; as root, chmod alone
    would not stop them."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "attention", ignore=shutil.ignore_patterns("__pycache__"))
    if not (site / "attention" / "libattention.so").exists():
        shutil.copy(LIBRARY, site / "attention" / "libattention.so")
    for folder, _, files in os.walk(site):
        for name in files + [""]:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        result = run_python(f"""
            import os, sys
            site = {str(site)!r}
            writes = []
            def hook(event, args):
                if event == "open" and args[0] is not None and str(args[0]).startswith(site):
                    mode, flags = args[1], args[2]
                    if (mode and any(c in mode for c in "wax+")) or (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
                        writes.append(args[0])
                elif event in ("os.mkdir", "os.rename", "os.remove", "os.chmod") and str(args[0]).startswith(site):
                    writes.append((event, args[0]))
            sys.addaudithook(hook)
            import attention
            tokenizer = attention.Tokenizer(attention.default_corpus())
            model = attention.Model(attention.ModelConfig("gpt", n_layer=1, n_embd=16, n_head=2, block_size=8), tokenizer)
            model.generate("道", max_new_tokens=3, seed=1)
            print(attention.__file__)
            print(attention._capi.lib._name)
            print(writes)
        """, tmp_path, python_path=str(site), PYTHONDONTWRITEBYTECODE="1")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [str(site / "attention" / "__init__.py"),
                                              str(site / "attention" / "libattention.so"), "[]"]
    finally:
        for folder, _, files in os.walk(site):
            for name in files + [""]:
                os.chmod(os.path.join(folder, name), 0o755)
