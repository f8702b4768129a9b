"""Training: the schedule (`TrainConfig`), what a trainer reports (`Progress`), and `Trainer`.

Letters: B batch, T time, Lq question length, La answer length (in tokens).
"""
import ctypes
import dataclasses
import math
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from . import _capi
from ._arguments import Path, Text, path as fs_path, set_fields, struct_values, token_ids, utf8
from ._handle import Handle
from ._interrupt import interruptible
from ._status import check
from .errors import InvalidArgumentError, ShapeError
from .model import Model
from .tokenizer import Tokenizer


def _library_defaults() -> dict:
    struct = _capi.attn_train_config()
    check(_capi.attn_train_config_default(ctypes.byref(struct)))
    return struct_values(struct)


_DEFAULTS = _library_defaults()


@dataclass
class TrainConfig:
    """How a model is trained (attn_train_config): AdamW with linear warm-up and cosine decay
    from learning_rate to min_learning_rate over `steps`, global gradient clipping. The defaults
    are the library's (attn_train_config_default); the library validates the values when a
    Trainer is created."""

    steps: int = _DEFAULTS["steps"]                          #: schedule length, and of run_* (>= 1)
    batch_size: int = _DEFAULTS["batch_size"]                #: rows per batch drawn by run_* (>= 1)
    learning_rate: float = _DEFAULTS["learning_rate"]        #: peak learning rate (> 0)
    min_learning_rate: float = _DEFAULTS["min_learning_rate"]  #: rate at the end of the decay
    warmup_steps: int = _DEFAULTS["warmup_steps"]            #: linear warm-up steps (>= 0)
    weight_decay: float = _DEFAULTS["weight_decay"]          #: AdamW decay of matrices
    beta1: float = _DEFAULTS["beta1"]                        #: AdamW first-moment decay, [0, 1)
    beta2: float = _DEFAULTS["beta2"]                        #: AdamW second-moment decay, [0, 1)
    grad_clip: float = _DEFAULTS["grad_clip"]                #: global gradient-norm limit; 0 = off
    eval_interval: int = _DEFAULTS["eval_interval"]          #: run_*: validation every n steps (0 = never)
    eval_batches: int = _DEFAULTS["eval_batches"]            #: batches per validation loss (>= 1)
    validation_fraction: float = _DEFAULTS["validation_fraction"]  #: run_tokens: share held out
    seed: int = _DEFAULTS["seed"]                            #: seed of the batches run_* draws
    resume: bool = bool(_DEFAULTS["resume"])                 #: continue the run saved in the model
    #: under mpirun: sum the gradients across ranks in buckets of at least this many bytes while
    #: backward runs (0 = the library's 1 MiB; must stay 0 with no_gradient_overlap)
    gradient_bucket_bytes: int = _DEFAULTS["gradient_bucket_bytes"]
    #: under mpirun: sum the gradients after backward instead (same results; for a host whose MPI
    #: runs below MPI_THREAD_SERIALIZED)
    no_gradient_overlap: bool = bool(_DEFAULTS["no_gradient_overlap"])

    def _to_struct(self) -> _capi.attn_train_config:
        struct = _capi.attn_train_config()
        values = dataclasses.asdict(self)
        values["resume"] = int(bool(self.resume))
        values["no_gradient_overlap"] = int(bool(self.no_gradient_overlap))
        set_fields(struct, values, "TrainConfig")
        return struct


@dataclass(frozen=True)
class Progress:
    """What a trainer reports after every step (attn_progress)."""

    step: int                          #: steps completed, 1-based
    loss: float                        #: training loss of this step
    validation_loss: Optional[float]   #: None unless this step was an evaluation step of a run
    learning_rate: float               #: rate this step used
    tokens_per_second: float           #: training (non-padding) target tokens per second


ProgressCallback = Callable[[Progress], Optional[bool]]
TokenBatch = Union[np.ndarray, Sequence[Sequence[int]]]
TextBatch = Union[TokenBatch, Sequence[str]]


def _progress_function(owner: "weakref.ref[Trainer]") -> Any:
    """The C callback of a trainer. It holds the trainer weakly (no reference cycle), turns the
    struct into a Progress, and never lets an exception cross into C: it stores it for the
    trainer to raise when the library call returns, and stops the run."""

    def call(progress: Any, user_data: Any) -> int:
        trainer = owner()
        if trainer is None:
            return 0
        try:
            if trainer._interrupted():
                return 1
            if trainer._on_progress is None:
                return 0
            p = progress.contents
            validation = float(p.validation_loss)
            result = trainer._on_progress(Progress(
                step=p.step, loss=float(p.loss), validation_loss=None if math.isnan(validation) else validation,
                learning_rate=float(p.learning_rate), tokens_per_second=p.tokens_per_second))
            return 1 if result else 0
        except BaseException as error:  # noqa: B902 — KeyboardInterrupt too: stop, re-raise later
            trainer._callback_error = error
            return 1

    return _capi.attn_progress_fn(call)


class Trainer(Handle):
    """One training run over one model: the AdamW state, the step, the random streams.

        trainer = Trainer(model, TrainConfig(steps=100), on_progress=lambda p: print(p.step, p.loss))
        trainer.run_tokens(tokenizer.encode(default_corpus()))

    `on_progress` is called after every step with a `Progress`; returning True stops a run after
    that step. An exception it raises stops the run too and is re-raised by the call that ran
    the step. Ctrl-C stops `run_tokens`/`run_pairs` after the current step (KeyboardInterrupt).
    A trainer belongs to one thread at a time (its calls are serialized), and while it steps no
    other thread may use its model.
    """

    _free = staticmethod(_capi.attn_trainer_free)
    _exclusive = True

    def __init__(self, model: Model, config: Optional[TrainConfig] = None,
                 on_progress: Optional[ProgressCallback] = None) -> None:
        """A trainer for `model` (kept alive by the library). With config.resume, continues the
        run saved by `Trainer.save` in the model's checkpoint: InvalidArgumentError if it has
        none, FormatError if it does not fit the model or schedule."""
        self.config = config if config is not None else TrainConfig()
        struct = self.config._to_struct()
        pointer = ctypes.POINTER(_capi.attn_trainer_t)()
        with model._borrow() as model_handle:
            check(_capi.attn_trainer_init(model_handle, ctypes.byref(struct), ctypes.byref(pointer)))
        super().__init__(pointer)
        self.model = model
        self._tokenizer: Optional[Tokenizer] = None
        self._learning_rate: Optional[float] = None
        self._callback_error: Optional[BaseException] = None
        self._on_progress: Optional[ProgressCallback] = None
        self.on_progress = on_progress
        # Registered even without on_progress: it is where Ctrl-C stops a run (see _interrupt).
        # self._progress_function keeps it alive while the library holds it.
        self._interrupted: Callable[[], bool] = lambda: False
        self._progress_function = _progress_function(weakref.ref(self))
        with self._borrow() as handle:
            check(_capi.attn_trainer_set_progress_callback(handle, self._progress_function, None))

    def _describe(self) -> str:
        # From the Python side only: the trainer may be stepping on another thread.
        config = self.config
        return (f"of {self.model!r}, steps {config.steps}, batch_size {config.batch_size}, "
                f"learning_rate {config.learning_rate:g}")

    @property
    def on_progress(self) -> Optional[ProgressCallback]:
        """The function called after every step, or None."""
        return self._on_progress

    @on_progress.setter
    def on_progress(self, callback: Optional[ProgressCallback]) -> None:
        if callback is not None and not callable(callback):
            raise TypeError("on_progress must be callable or None")
        self._on_progress = callback

    @property
    def step_count(self) -> int:
        """Steps completed so far (restored ones included)."""
        step = ctypes.c_int64()
        with self._borrow(from_callback=True) as handle:
            check(_capi.attn_trainer_get_step(handle, ctypes.byref(step)))
        return step.value

    @property
    def world(self) -> Tuple[int, int]:
        """(rank, size) of the data-parallel job this trainer belongs to: under
        ``mpirun -np N python3 train.py`` every step sums the gradients of the N ranks; (0, 1)
        in a plain process. Only rank 0 should save or print."""
        rank, size = ctypes.c_int32(), ctypes.c_int32()
        with self._borrow(from_callback=True) as handle:
            check(_capi.attn_trainer_get_world(handle, ctypes.byref(rank), ctypes.byref(size)))
        return rank.value, size.value

    @property
    def learning_rate(self) -> Optional[float]:
        """The fixed learning rate set here, or None while the schedule decides."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, rate: float) -> None:
        """Fixes the learning rate of the following steps (finite, >= 0), replacing the schedule."""
        with self._borrow(from_callback=True) as handle:
            check(_capi.attn_trainer_set_learning_rate(handle, rate))
        self._learning_rate = float(str(np.float32(rate)))

    def _run(self, function: Any, *arguments: Any) -> None:
        """Calls `function(handle, *arguments)`; raises the error of a failing status, else an
        exception the progress callback raised during the call."""
        with self._borrow() as handle:
            self._callback_error = None
            status = function(handle, *arguments)
            error, self._callback_error = self._callback_error, None
            if error is None:
                check(status)
        if error is not None:
            raise error

    def _run_interruptible(self, function: Any, *arguments: Any) -> None:
        """`_run` for a whole training run, which Ctrl-C stops after the current step."""
        with interruptible() as interrupted:
            self._interrupted = interrupted
            try:
                self._run(function, *arguments)
            finally:
                self._interrupted = lambda: False

    def _language_batch(self, inputs: TokenBatch, targets: TokenBatch) -> Tuple[np.ndarray, np.ndarray]:
        inputs = token_ids(inputs, "inputs", ndim=2)
        targets = token_ids(targets, "targets", ndim=2)
        if inputs.shape != targets.shape:
            raise ShapeError(f"inputs {inputs.shape} and targets {targets.shape} must have the same shape")
        return inputs, targets

    def _encode(self, text: Text) -> np.ndarray:
        """`text` encoded with (a copy of) the model's tokenizer."""
        if self._tokenizer is None:
            self._tokenizer = self.model.tokenizer
            if self._tokenizer is None:
                raise InvalidArgumentError("the model has no tokenizer: pass token ids")
        return self._tokenizer.encode(text)

    def _text_batch(self, rows: TextBatch, name: str) -> np.ndarray:
        """(B, L) ids: a 2-D id array as given, or strings encoded with the model's tokenizer
        and PAD-padded to the longest."""
        if isinstance(rows, (str, bytes)):
            raise TypeError(f"{name} must be a batch (a sequence of strings or a 2-D id array)")
        if len(rows) and all(isinstance(row, (str, bytes)) for row in rows):
            encoded = [self._encode(row) for row in rows]
            batch = np.full((len(encoded), max(len(ids) for ids in encoded)), Tokenizer.PAD, dtype=np.int32)
            for row, ids in zip(batch, encoded):
                row[:len(ids)] = ids
            return batch
        return token_ids(rows, name, ndim=2)

    def _pairs_batch(self, questions: TextBatch, answers: TextBatch) -> Tuple[np.ndarray, np.ndarray]:
        questions = self._text_batch(questions, "questions")
        answers = self._text_batch(answers, "answers")
        if questions.shape[0] != answers.shape[0]:
            raise ShapeError(f"{questions.shape[0]} questions but {answers.shape[0]} answers")
        return questions, answers

    def step(self, inputs: TokenBatch, targets: TokenBatch) -> float:
        """One optimizer step of a language model (gpt, rnn, cnn). inputs, targets: (B, T) ids,
        targets[b, t] the id that follows inputs[b, t], 1 <= T <= block_size. Returns the mean
        cross-entropy before the update; a non-finite loss raises InvalidArgumentError and
        leaves the weights unchanged."""
        inputs, targets = self._language_batch(inputs, targets)
        loss = ctypes.c_float()
        self._run(_capi.attn_trainer_step, _capi.data_pointer(inputs, _capi.c_int32_p), _capi.data_pointer(targets, _capi.c_int32_p), *inputs.shape,
                  ctypes.byref(loss))
        return loss.value

    def evaluate(self, inputs: TokenBatch, targets: TokenBatch) -> float:
        """The loss `step` would report, without training (dropout off, weights unchanged)."""
        inputs, targets = self._language_batch(inputs, targets)
        loss = ctypes.c_float()
        self._run(_capi.attn_trainer_evaluate, _capi.data_pointer(inputs, _capi.c_int32_p), _capi.data_pointer(targets, _capi.c_int32_p), *inputs.shape,
                  ctypes.byref(loss))
        return loss.value

    def step_seq2seq(self, questions: TextBatch, answers: TextBatch) -> float:
        """One optimizer step of a seq2seq model on question-answer pairs: strings (encoded with
        the model's tokenizer), or (B, Lq) and (B, La) ids PAD-padded at the end of each row,
        every row with at least one non-PAD token. BOS and EOS are added by the library.
        Returns the mean cross-entropy of the answer tokens."""
        questions, answers = self._pairs_batch(questions, answers)
        loss = ctypes.c_float()
        self._run(_capi.attn_trainer_step_seq2seq, _capi.data_pointer(questions, _capi.c_int32_p), questions.shape[1],
                  _capi.data_pointer(answers, _capi.c_int32_p), answers.shape[1], questions.shape[0], ctypes.byref(loss))
        return loss.value

    def evaluate_seq2seq(self, questions: TextBatch, answers: TextBatch) -> float:
        """The loss `step_seq2seq` would report, without training."""
        questions, answers = self._pairs_batch(questions, answers)
        loss = ctypes.c_float()
        self._run(_capi.attn_trainer_evaluate_seq2seq, _capi.data_pointer(questions, _capi.c_int32_p), questions.shape[1],
                  _capi.data_pointer(answers, _capi.c_int32_p), answers.shape[1], questions.shape[0], ctypes.byref(loss))
        return loss.value

    def run_tokens(self, tokens: Union[np.ndarray, Sequence[int], str]) -> None:
        """Trains a language model on a token stream (ids, or text encoded with the model's
        tokenizer) until `config.steps` steps are done: random windows of block_size + 1
        tokens from the first (1 - validation_fraction) of the stream; validation losses from
        the rest every eval_interval steps."""
        tokens = token_ids(self._encode(tokens) if isinstance(tokens, str) else tokens, "tokens", ndim=1)
        self._run_interruptible(_capi.attn_trainer_run_tokens, _capi.data_pointer(tokens, _capi.c_int32_p), tokens.size)

    def run_pairs(self, tsv: Text) -> None:
        """Trains a seq2seq model on "question<TAB>answer" lines (see `default_dialogue()`)
        until `config.steps` steps are done. FormatError names a malformed line."""
        data = utf8(tsv, "tsv")
        self._run_interruptible(_capi.attn_trainer_run_pairs, data, len(data))

    def save(self, path: Path) -> None:
        """Writes the model and the run's state to `path` atomically, so that
        `Trainer(Model.load(path), replace(config, resume=True))` continues exactly."""
        with self._borrow(from_callback=True) as handle:
            check(_capi.attn_trainer_save(handle, fs_path(path)))
