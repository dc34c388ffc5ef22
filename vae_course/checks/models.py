"""Checks for the model of assignment 1, ``MLPAutoencoder``, whose layers the exercise lists.

The VAEs of assignments 4 and 5 are specified by behaviour instead (:mod:`.vae_models`). A student's
autoencoder is compared with the reference by giving it the reference's weights: matched by
parameter name when the names agree, else by order (the order in which the exercise lists the
layers). Then encode, decode and forward must agree on hidden inputs, and so must the gradients of
the weights. Every model is built from several configs; the default comes first.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import models
from ..data import IMAGE_SHAPE
from ..language import t
from ..losses import reconstruction_loss
from . import judging
from .core import (
    CheckFailure,
    Student,
    describe,
    device_dtypes,
    expect_close,
    expect_shape,
    generator,
    run_parts,
)

BATCHES = (1, 6)  # batch sizes of the hidden images
REFERENCES = {"MLPAutoencoder": models.MLPAutoencoder}
CONFIGS = {  # the default first: a model that fails only on the others has its sizes hard-coded
    "MLPAutoencoder": (
        models.MLPAutoencoderConfig(),
        models.MLPAutoencoderConfig(hidden_dim=64, latent_dim=2),
        models.MLPAutoencoderConfig(hidden_dim=32, latent_dim=5),
    ),
}


def check_mlp_autoencoder(model_class: type, part: str | None = None) -> None:
    """Check a student's ``MLPAutoencoder(config)``. Parts: shapes, values, gradients."""
    _check_model("MLPAutoencoder", model_class, part)


def images(batch: int, seed: int) -> torch.Tensor:
    """Hidden images in [0, 1], float64 (callers cast), shape (batch, 1, 28, 28)."""
    return torch.rand(batch, *IMAGE_SHAPE, generator=generator(seed), dtype=torch.float64)


def codes(batch: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Hidden codes (or noise), standard normal, float64, shape (batch, latent_dim)."""
    return torch.randn(batch, latent_dim, generator=generator(seed), dtype=torch.float64)


def _check_model(name: str, model_class: type, part: str | None) -> None:
    student = Student(model_class, name, (REFERENCES[name],))

    def shapes(config, dtype, device, case):
        model = build(student, name, config).to(device, dtype).eval()
        for batch in BATCHES:
            x = images(batch, seed=batch).to(device, dtype)
            z = codes(batch, config.latent_dim, seed=batch).to(device, dtype)
            _check_output_shapes(student, model, name, x, z, config.latent_dim, case)

    def values(config, dtype, device, case):
        pair = ModelPair(student, name, config, dtype, device)
        for batch in BATCHES:
            x = images(batch, seed=10 + batch).to(device, dtype)
            z = codes(batch, config.latent_dim, seed=20 + batch).to(device, dtype)
            student.case = f"{case}, " + t(f"batch of {batch}", f"batch berisi {batch}")
            _compare_outputs(pair, name, x, z, student.case)

    def gradient(config, dtype, device, case):
        pair = ModelPair(student, name, config, dtype, device)
        x = images(5, seed=50).to(device, dtype)
        got, expected = pair.run("forward", x), pair.reference(x)
        _compare_gradients(pair, _loss(got, x, name, case), _loss(expected, x, name, case), name, case)

    parts = {"shapes": shapes, "values": values, "gradients": gradient}
    run_parts(name, {part_name: _over_cases(student, name, body) for part_name, body in parts.items()}, part)


def _over_cases(student: Student, name: str, body: Callable[..., None]) -> Callable[[], None]:
    """Run ``body(config, dtype, device, case)`` for every config, dtype and device.

    The default config comes first, so a failure with no better hint on another config means the
    default passed: the model has its sizes hard-coded.
    """

    def run():
        for device, dtype in device_dtypes():
            for config in CONFIGS[name]:
                case = f"{describe(dtype, device)}, config {_describe_config(config)}"
                student.case = case
                try:
                    body(config, dtype, device, case)
                except CheckFailure as err:
                    if err.hint is None and config is not CONFIGS[name][0]:
                        raise CheckFailure(err.message, hint="hardcoded-size") from None
                    raise

    return run


def _describe_config(config) -> str:
    return ", ".join(f"{key}={value}" for key, value in vars(config).items())


def build(student: Student, name: str, config) -> nn.Module:
    """The student's model for ``config``."""
    model = student(config)
    if not isinstance(model, nn.Module):
        kind = type(model).__name__
        message = t(
            f"{name}(config) should build a torch.nn.Module, got {kind}.",
            f"{name}(config) seharusnya membangun torch.nn.Module, didapat {kind}.",
        )
        raise CheckFailure(message)
    return model


class ModelPair:
    """The student's model and the reference, built from one config, with the reference's weights."""

    def __init__(self, student: Student, name: str, config, dtype: torch.dtype, device: torch.device, seed: int = 0):
        self.student = student
        model = build(student, name, config)
        torch.manual_seed(seed)
        self.reference = REFERENCES[name](config).to(device, dtype).eval()
        self.model = model.to(device, dtype).eval()
        self.pairs = copy_weights(self.reference, self.model, name)  # [(reference name, student name)]

    def run(self, method: str, *args, **kwargs):
        """Call a method of the student's model, quietly and guarded."""
        return self.student.run(getattr(self.model, method), *args, **kwargs)


def copy_weights(reference: nn.Module, model: nn.Module, name: str) -> list[tuple[str, str]]:
    """Load the reference's weights into ``model``: by name if the names agree, else by order.

    Returns:
        (reference name, student name) for every parameter.
    """
    ours, theirs = list(reference.named_parameters()), list(model.named_parameters())
    expected = [(n, tuple(p.shape)) for n, p in ours]
    got = [(n, tuple(p.shape)) for n, p in theirs]
    if dict(expected) == dict(got):
        pairs = [(n, n) for n, _ in expected]
    elif [shape for _, shape in expected] == [shape for _, shape in got]:
        pairs = [(a, b) for (a, _), (b, _) in zip(expected, got)]
    else:
        listing = "\n".join(f"    {n}: {shape}" for n, shape in expected)
        yours = "\n".join(f"    {n}: {shape}" for n, shape in got) or t("    (none)", "    (tidak ada)")
        message = t(
            f"The parameters of your {name} do not match the architecture of the exercise. "
            f"Expected, in this order:\n{listing}\nyours:\n{yours}",
            f"Parameter {name} Anda tidak cocok dengan arsitektur latihan. "
            f"Seharusnya, dengan urutan ini:\n{listing}\nmilik Anda:\n{yours}",
        )
        raise CheckFailure(message, hint="hardcoded-size" if len(expected) == len(got) else "architecture")
    source, state = {b: a for a, b in pairs}, dict(ours)
    with torch.no_grad():
        for their_name, param in theirs:
            param.copy_(state[source[their_name]])
    return pairs


# --------------------------------------------------------------------------- outputs


def image_hint(shape: tuple) -> str | None:
    """The hint for a wrong shape of decoded images, if one fits."""
    if len(shape) == 2 and shape[1] == 28 * 28:
        return "image-shape"
    if len(shape) == 4 and shape[2:] != (28, 28):
        return "conv-shape"
    return None


def _check_output_shapes(student, model, name, x, z, latent_dim, case) -> None:
    expect_shape(student.run(model.encode, x), (x.shape[0], latent_dim), f"{name}.encode(x)", case)
    expect_shape(student.run(model.decode, z), x.shape, f"{name}.decode(z)", case, image_hint)
    expect_shape(student.run(model.forward, x), x.shape, f"{name}.forward(x)", case, image_hint)


def _decoder_logits(reference: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """What the reference decoder computes before its final sigmoid (for the missing-sigmoid hint)."""
    layers = list(reference.decoder)  # a Sequential with a Sigmoid near the end
    last_sigmoid = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Sigmoid))
    return nn.Sequential(*layers[:last_sigmoid])(z).view(-1, *IMAGE_SHAPE)


@torch.no_grad()
def _compare_outputs(pair: ModelPair, name, x, z, case) -> None:
    ref = pair.reference
    expect_close(pair.run("encode", x), ref.encode(x), f"{name}.encode(x)", case)
    mistakes = {"missing-sigmoid": _decoder_logits(ref, z)}
    expect_close(pair.run("decode", z), ref.decode(z), f"{name}.decode(z)", case, mistakes, image_hint)
    mistakes = {"missing-sigmoid": _decoder_logits(ref, ref.encode(x))}
    expect_close(pair.run("forward", x), ref(x), f"{name}.forward(x)", case, mistakes, image_hint)


# --------------------------------------------------------------------------- gradients


def _loss(x_hat, x, name: str, case: str) -> torch.Tensor:
    """A loss that reaches every weight: the squared error of x_hat."""
    expect_shape(x_hat, x.shape, f"{name}.forward(x)", case, image_hint)
    return reconstruction_loss(x_hat, x, "mse").sum()


def _compare_gradients(pair: ModelPair, loss: torch.Tensor, expected_loss: torch.Tensor, name, case) -> None:
    if not loss.requires_grad:
        message = t(
            f"The output of {name} does not depend on its weights through autograd ({case}).",
            f"Output {name} tidak bergantung pada bobotnya melalui autograd ({case}).",
        )
        raise CheckFailure(message, hint="no-gradient")
    theirs, ours = dict(pair.model.named_parameters()), dict(pair.reference.named_parameters())
    got = judging.answer(lambda: list(torch.autograd.grad(loss, [theirs[b] for _, b in pair.pairs], allow_unused=True)))
    expected = torch.autograd.grad(expected_loss, [ours[a] for a, _ in pair.pairs])
    for (_, their_name), g, e in zip(pair.pairs, got, expected):
        if g is None:
            message = t(
                f"No gradient reaches the weight {their_name} of your {name} ({case}).",
                f"Tidak ada gradien yang sampai ke bobot {their_name} pada {name} Anda ({case}).",
            )
            raise CheckFailure(message, hint="no-gradient")
        what = t(f"the gradient of a loss with respect to {their_name}", f"gradien suatu loss terhadap {their_name}")
        expect_close(g, e, what, case)
