"""Hints of the assignments on the training loop (7) and on bounds (8): merged into :data:`.hints.HINTS`."""

from __future__ import annotations

EXTRA_HINTS: dict[str, str] = {
    # --- the training loop
    "zero-grad": (
        "Call `optimizer.zero_grad()` in every step, before `loss.backward()`: backward *adds* to "
        "the gradients already in the weights, so without it each step uses the sum of all earlier ones."
    ),
    "step-order": (
        "A training step is, in this order: `optimizer.zero_grad()`, the forward pass and the loss, "
        "`loss.backward()`, `optimizer.step()`. Zeroing between backward and step throws the gradients away."
    ),
    "no-step": "Gradients were computed but never applied: call `optimizer.step()` after `loss.backward()`.",
    "loss-item": (
        "Return `loss.item()` (a float), not the loss tensor: a tensor keeps the whole graph of the step "
        "alive, and a list of them across an epoch holds every step's graph in memory."
    ),
    "batch-weighted-mean": (
        "The last batch can be smaller than the others: the mean of the batch means over-weights it. "
        "Add up the loss of every image (batch mean times batch size) and divide by the number of images."
    ),
    "eval-mode": (
        "Call `model.eval()` before evaluating: layers such as dropout and batch norm behave "
        "differently in training mode, so validation must run in eval mode."
    ),
    "eval-no-grad": (
        "Evaluate under `with torch.no_grad():`: validation needs no gradients, and recording the graph "
        "costs memory and time."
    ),
    "train-mode": (
        "Call `model.train()` at the start of every epoch: after a validation in eval mode, the model "
        "stays in eval mode until you switch it back."
    ),
    "every-image": "Evaluate every image exactly once: go through all the batches, the last (smaller) one included.",
    "history": (
        "Return {'train_loss': [...], 'val_loss': [...]}: one number per epoch in each list, the "
        "validation loss from `evaluate(model, val_images)` after every epoch."
    ),
}
