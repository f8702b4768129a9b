"""File-system paths are bytes (issue 19 item 5): every path-taking function accepts str, bytes
and os.PathLike, passes a str through os.fsencode (so surrogate-escaped names are the original
bytes), and refuses an embedded NUL with a ValueError, as open() does, instead of truncating."""
import os
import pathlib

import numpy as np
import pytest

import attention
from conftest import tiny_gpt_config


@pytest.fixture(scope="module")
def small_model(corpus_tokenizer):
    with attention.Model(tiny_gpt_config(n_layer=1), corpus_tokenizer) as model:
        yield model


@pytest.fixture
def trainer(small_model):
    with attention.Trainer(small_model, attention.TrainConfig(steps=1)) as trainer:
        yield trainer


def _path_functions(small_model, trainer):
    """name → function(path) for every public function that takes a path."""
    return {
        "Model.save": small_model.save,
        "Model.load": attention.Model.load,
        "Trainer.save": trainer.save,
        "Encoder": attention.Encoder,
        "Tokenizer.from_file": attention.Tokenizer.from_file,
    }


@pytest.mark.parametrize("name", ["Model.save", "Model.load", "Trainer.save", "Encoder", "Tokenizer.from_file"])
@pytest.mark.parametrize("bad", ["gpt.safetensors\0junk", b"gpt.safetensors\0junk",
                                 pathlib.PurePosixPath("x") / "a\0b"], ids=["str", "bytes", "PathLike"])
def test_embedded_nul_is_a_value_error_everywhere(small_model, trainer, tmp_path, monkeypatch, name, bad):
    monkeypatch.chdir(tmp_path)
    small_model.save("gpt.safetensors")  # the truncated name exists: loading it must not happen
    (tmp_path / "gpt.safetensors").with_suffix(".txt").write_text("abc")
    function = _path_functions(small_model, trainer)[name]
    with pytest.raises(ValueError, match="null"):
        function(bad)
    assert sorted(os.listdir(tmp_path)) == ["gpt.safetensors", "gpt.txt"], "nothing else was written"


@pytest.mark.parametrize("name", ["Model.save", "Model.load", "Trainer.save", "Encoder", "Tokenizer.from_file"])
def test_a_path_of_another_type_is_a_type_error(small_model, trainer, name):
    with pytest.raises(TypeError):
        _path_functions(small_model, trainer)[name](42)


def test_str_bytes_and_pathlike_paths_name_the_same_file(small_model, tmp_path, corpus_ids):
    tokens = corpus_ids[None, :8]
    expected = small_model.forward(tokens)
    for path in (str(tmp_path / "a.st"), os.fsencode(tmp_path / "b.st"), tmp_path / "c.st"):
        small_model.save(path)
        with attention.Model.load(path) as loaded:
            assert np.array_equal(loaded.forward(tokens), expected)
    assert sorted(os.listdir(tmp_path)) == ["a.st", "b.st", "c.st"]


@pytest.mark.parametrize("how", ["Model.save", "Trainer.save"])
def test_undecodable_names_are_refused_and_nothing_is_written(small_model, trainer, tmp_path, monkeypatch, how):
    """POSIX names are bytes, but the library handles paths as UTF-8 (attention.h: a path that is
    not valid UTF-8 is ATTN_ERR_UTF8). It must refuse such a name, never write under another one."""
    monkeypatch.chdir(tmp_path)
    save = small_model.save if how == "Model.save" else trainer.save
    for name in ("\udcff\udcfe.st", b"\xfa\xfb.st"):   # the first is what os.listdir() gives for b"\xff\xfe.st"
        with pytest.raises(attention.UTF8Error):
            save(name)
    assert os.listdir(b".") == []


@pytest.mark.parametrize("special", ["fifo", "directory", "/dev/zero"])
def test_tokenizer_from_file_refuses_what_is_not_a_regular_file(tmp_path, special):
    """A FIFO without a writer would block open() forever; /dev/zero would be read forever."""
    path = {"fifo": tmp_path / "corpus.fifo", "directory": tmp_path, "/dev/zero": "/dev/zero"}[special]
    if special == "fifo":
        os.mkfifo(path)
    with pytest.raises(attention.LibraryIOError, match="not a regular file"):
        attention.Tokenizer.from_file(path)


def test_tokenizer_from_file_reads_a_regular_file(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("你吃了吗？吃了！", encoding="utf-8")
    with attention.Tokenizer.from_file(corpus) as tokenizer:
        assert tokenizer.decode(tokenizer.encode("吃了吗")) == "吃了吗"
        assert tokenizer.vocab_size == 4 + len(set("你吃了吗？吃了！"))
