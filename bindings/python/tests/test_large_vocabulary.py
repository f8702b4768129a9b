"""A vocabulary of 7,477 ids (the Tang poem corpus's size) through the Python API exactly as a
small one: tokenizer round trips, a tiny GPT trained, saved, loaded, resumed bitwise like an
uninterrupted run, and generating; plus the corpus edge cases the Python API documents (text is
taken as given: a BOM or CR is a character; `attn train --corpus` normalises files)."""
import dataclasses
import os
import random

import numpy as np
import pytest
from conftest import tiny_gpt_config

import attention

CJK = 7472
VOCAB = CJK + 1 + 4  # the characters, the line break, PAD/BOS/EOS/UNK


def large_corpus(characters=30000, seed=3):
    """Every one of CJK characters from U+4E00 once, then random ones; a line break every 7."""
    rng = random.Random(seed)
    chars = [chr(0x4E00 + (i if i < CJK else rng.randrange(CJK))) for i in range(characters)]
    return "\n".join("".join(chars[i:i + 7]) for i in range(0, characters, 7)) + "\n"


@pytest.fixture(scope="module")
def corpus():
    return large_corpus()


@pytest.fixture(scope="module")
def tokenizer(corpus):
    return attention.Tokenizer(corpus)


def test_tokenizer_has_7477_ids_in_code_point_order(corpus, tokenizer):
    assert tokenizer.vocab_size == len(tokenizer) == VOCAB
    ids = tokenizer.encode(corpus)
    assert ids.dtype == np.int32 and ids.size == len(corpus)
    assert ids[0] == 5 and ids[7] == 4 and ids.max() == VOCAB - 1
    assert tokenizer.decode(ids) == corpus
    assert tokenizer.decode([VOCAB - 1]) == chr(0x4E00 + CJK - 1)
    with pytest.raises(attention.InvalidArgumentError):
        tokenizer.decode([VOCAB])


def test_train_save_load_resume_and_generate(corpus, tokenizer, tmp_path):
    ids = tokenizer.encode(corpus)
    config = attention.TrainConfig(steps=6, batch_size=4, learning_rate=3e-3, warmup_steps=1, eval_interval=3, seed=5)
    model_config = tiny_gpt_config(n_layer=1)
    probe = ids[:16][None, :]

    straight = attention.Model(model_config, tokenizer)
    assert straight.vocab_size == VOCAB and straight.config.vocab_size == VOCAB
    attention.Trainer(straight, config).run_tokens(ids)

    model = attention.Model(model_config, tokenizer)
    trainer = attention.Trainer(model, config, on_progress=lambda p: p.step == 3)
    trainer.run_tokens(ids)
    assert trainer.step_count == 3
    path = tmp_path / "large.safetensors"
    trainer.save(path)

    loaded = attention.Model.load(path)
    assert loaded.vocab_size == VOCAB and loaded.config.vocab_size == VOCAB
    assert loaded.tokenizer.vocab_size == VOCAB
    assert np.array_equal(loaded.tokenizer.encode(corpus), ids)
    resumed = attention.Trainer(loaded, dataclasses.replace(config, resume=True))
    assert resumed.step_count == 3
    resumed.run_tokens(corpus)  # text, encoded with the loaded model's tokenizer
    assert resumed.step_count == 6
    assert np.array_equal(loaded.forward(probe), straight.forward(probe))
    assert loaded.forward(probe).shape == (1, 16, VOCAB)

    text = loaded.generate(corpus[:5], max_new_tokens=20, seed=1, stop_at_eos=False)
    assert 0 < len(text) <= 20
    assert all(ch == "\n" or 0x4E00 <= ord(ch) < 0x4E00 + CJK for ch in text)
    assert loaded.generate(corpus[:5], max_new_tokens=20, seed=1, stop_at_eos=False) == text

    # The bytes of the step-3 checkpoint load as the same model as the file.
    again = attention.Model.from_bytes(path.read_bytes())
    assert again.vocab_size == VOCAB
    assert np.array_equal(again.forward(probe), attention.Model.load(path).forward(probe))


def test_tokenizer_from_file_matches_the_text(corpus, tokenizer, tmp_path):
    path = tmp_path / "large.txt"
    path.write_text(corpus, encoding="utf-8")
    from_file = attention.Tokenizer.from_file(path)
    assert from_file.vocab_size == VOCAB
    assert np.array_equal(from_file.encode(corpus), tokenizer.encode(corpus))


def test_one_repeated_character_and_a_too_short_corpus():
    one = attention.Tokenizer("道" * 300)
    assert one.vocab_size == 5
    model = attention.Model(tiny_gpt_config(n_layer=1), one)
    trainer = attention.Trainer(model, attention.TrainConfig(steps=2, batch_size=2, eval_interval=1))
    trainer.run_tokens("道" * 300)
    assert trainer.step_count == 2
    with pytest.raises(attention.InvalidArgumentError, match="too short for context length 16"):
        attention.Trainer(model, attention.TrainConfig(steps=2, batch_size=2)).run_tokens("道" * 16)


def test_empty_and_invalid_corpora_are_errors(tmp_path):
    with pytest.raises(attention.InvalidArgumentError, match="empty"):
        attention.Tokenizer("")
    with pytest.raises(attention.UTF8Error, match="byte offset 6"):
        attention.Tokenizer("一二".encode() + b"\xe4\xb8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(attention.InvalidArgumentError, match="empty"):
        attention.Tokenizer.from_file(empty)


def test_text_is_taken_as_given_bom_cr_and_nul_are_characters():
    # Documented in docs/corpora.md: only files read by `attn train --corpus` are normalised.
    tokenizer = attention.Tokenizer("\ufeff一\r\n二\x00")
    assert tokenizer.vocab_size == 4 + 6
    assert tokenizer.decode(tokenizer.encode("\ufeff一\r\n二\x00")) == "\ufeff一\r\n二\x00"


@pytest.mark.parametrize("path", ["DIRECTORY", "/dev/zero", "FIFO"])
def test_special_files_are_refused_without_reading(tmp_path, path):
    if path == "DIRECTORY":
        path = tmp_path
    elif path == "FIFO":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    with pytest.raises(OSError):
        attention.Tokenizer.from_file(path)
