# Python smoke run for scripts/sanitize.sh: model, training steps, save/load through bytes,
# generation, a rejected checkpoint and a kernel, against the AddressSanitizer build of the library.
import numpy as np
import attention as at

tokenizer = at.Tokenizer.from_default_corpus()
model = at.Model(at.ModelConfig("gpt", n_layer=1, n_head=2, n_embd=16, block_size=16), tokenizer)
trainer = at.Trainer(model, at.TrainConfig(steps=3, batch_size=2, eval_interval=0))
trainer.run_tokens(at.default_corpus()[:2000])
copy = at.Model.from_bytes(model.to_bytes())
print("generated:", copy.generate("道可道", max_new_tokens=8))
try:
    at.Model.from_bytes(b"not a checkpoint")
except at.FormatError as error:
    print("rejected as expected:", error)
print("softmax:", at.softmax(np.array([[1.0, 2.0, 3.0]], dtype=np.float32)))
