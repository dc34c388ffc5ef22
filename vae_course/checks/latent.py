"""Checks for the latent-space tools (assignment 6): interpolation, traversal, the manifold grid,
encoding with posterior means, and the t-SNE embedding of those means."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from .. import latent, models
from ..language import t
from .core import (
    CheckFailure,
    Student,
    close,
    describe,
    device_dtypes,
    expect_close,
    expect_like,
    expect_shape,
    generator,
    run_parts,
)

PATHS = ((2, 5), (8, 10), (20, 2), (3, 7))  # (latent dims, num_steps)


def code_pairs(seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor, int, str]]:
    """Hidden (z_start, z_end, num_steps, description): generic codes, never (anti)parallel."""
    for device, dtype in device_dtypes():
        for k, (dims, steps) in enumerate(PATHS):
            g = generator(seed + k)
            z_start, z_end = torch.randn(2, dims, generator=g, dtype=torch.float64).to(device, dtype)
            yield z_start, z_end, steps, f"{describe(dtype, device, z_start=z_start.shape)}, num_steps={steps}"


def check_linear_interpolation(linear_interpolation: Callable, part: str | None = None) -> None:
    """Check ``linear_interpolation(z_start, z_end, num_steps) -> (T, D)``. Parts: shapes, values."""
    references = (latent.linear_interpolation, latent.interpolate)
    student = Student(linear_interpolation, "linear_interpolation", references)
    what = "linear_interpolation(z_start, z_end, num_steps)"

    def shapes():
        for z_start, z_end, steps, case in code_pairs():
            student.case = case
            expect_like(student(z_start, z_end, steps), z_start.expand(steps, -1), what, case)

    def values():
        for z_start, z_end, steps, case in code_pairs():
            student.case = case
            got = student(z_start, z_end, steps)
            expected = latent.linear_interpolation(z_start, z_end, steps)
            _check_ends(got, z_start, z_end, steps, what, case)
            expect_close(got, expected, what, case)

    run_parts("linear_interpolation", {"shapes": shapes, "values": values}, part)


def _check_ends(got, z_start, z_end, steps, what, case) -> None:
    got = expect_like(got, z_start.expand(steps, -1), what, case)
    if not (close(got[0], z_start) and close(got[-1], z_end)):
        message = t(
            f"{what} does not start at z_start and end at z_end ({case}).",
            f"{what} tidak dimulai di z_start dan tidak berakhir di z_end ({case}).",
        )
        raise CheckFailure(message, hint="endpoints")


def check_spherical_interpolation(spherical_interpolation: Callable, part: str | None = None) -> None:
    """Check ``spherical_interpolation(z_start, z_end, num_steps) -> (T, D)``.

    Parts: ``"shapes"``, ``"values"`` (generic codes), ``"special"`` ((anti)parallel and zero codes,
    where the formula divides by sin(omega) = 0 and the answer is the straight line).
    """
    references = (latent.spherical_interpolation, latent.interpolate)
    student = Student(spherical_interpolation, "spherical_interpolation", references)
    what = "spherical_interpolation(z_start, z_end, num_steps)"

    def shapes():
        for z_start, z_end, steps, case in code_pairs(seed=5):
            student.case = case
            expect_like(student(z_start, z_end, steps), z_start.expand(steps, -1), what, case)

    def values():
        for z_start, z_end, steps, case in code_pairs(seed=5):
            student.case = case
            got = student(z_start, z_end, steps)
            _check_ends(got, z_start, z_end, steps, what, case)
            expect_close(
                got,
                latent.spherical_interpolation(z_start, z_end, steps),
                what,
                case,
                {
                    "linear-not-spherical": latent.linear_interpolation(z_start, z_end, steps),
                },
            )

    def special():
        for z_start, _, steps, case in code_pairs(seed=9):
            ends = [
                (t("parallel codes", "kode sejajar"), 2.5 * z_start),
                (t("zero codes", "kode nol"), torch.zeros_like(z_start)),
            ]
            if z_start.dtype == torch.float64:  # in float32, cos(omega) of opposite codes rounds to -1 + 6e-8,
                ends.append(
                    (t("opposite codes", "kode berlawanan arah"), -z_start)
                )  # so sin(omega) ~ 3e-4: answers differ widely
            for label, z_end in ends:
                special_case = f"{case}, {label}"
                student.case = special_case
                got = student(z_start, z_end, steps)
                expected = latent.spherical_interpolation(z_start, z_end, steps)
                hint = "slerp-parallel" if isinstance(got, torch.Tensor) and not torch.isfinite(got).all() else None
                if hint:
                    message = t(f"{what} is not finite ({special_case}).", f"{what} tidak berhingga ({special_case}).")
                    raise CheckFailure(message, hint=hint)
                expect_close(got, expected, what, special_case)

    run_parts("spherical_interpolation", {"shapes": shapes, "values": values, "special": special}, part)


def check_traverse(traverse: Callable, part: str | None = None) -> None:
    """Check ``traverse(z, dim, values) -> (T, D)``. Parts: shapes, values."""
    student = Student(traverse, "traverse", (latent.traverse,))
    what = "traverse(z, dim, values)"

    def cases():
        for z_start, _, steps, case in code_pairs(seed=13):
            values = torch.linspace(-3, 3, steps, dtype=z_start.dtype, device=z_start.device)
            for dim in sorted({0, z_start.shape[0] - 1, z_start.shape[0] // 2}):
                yield z_start, dim, values, f"{case}, dim={dim}"

    def shapes():
        for z, dim, values, case in cases():
            student.case = case
            expect_like(student(z, dim, values), z.expand(len(values), -1), what, case)

    def check_values():
        for z, dim, values, case in cases():
            student.case = case
            original = z.clone()
            got = student(z, dim, values)
            if not torch.equal(z, original):
                raise CheckFailure(
                    t(f"traverse changed z ({case}).", f"traverse mengubah z ({case})."), hint="in-place"
                )
            expected = latent.traverse(z, dim, values)
            added = expected.clone()
            added[:, dim] = z[dim] + values
            expect_close(got, expected, what, case, {"traverse-adds": added})

    run_parts("traverse", {"shapes": shapes, "values": check_values}, part)


# --------------------------------------------------------------------------- models in the latent space


def small_vae(latent_dim: int = 2, seed: int = 0) -> models.MLPVAE:
    """A small untrained VAE: the checks need a decoder and an encoder, not a good one."""
    torch.manual_seed(seed)
    return models.MLPVAE(models.MLPVAEConfig(hidden_dim=16, latent_dim=latent_dim)).eval()


def check_manifold_grid(manifold_grid: Callable, part: str | None = None) -> None:
    """Check ``manifold_grid(model, grid_size=20, quantile=0.05) -> (G*G, 1, 28, 28)``. Parts: shapes, values."""
    student = Student(manifold_grid, "manifold_grid", (latent.manifold_grid, latent.manifold_codes))
    what = "manifold_grid(model, grid_size, quantile)"
    cases = ((3, 0.05), (5, 0.1), (4, 0.2))

    def shapes():
        for size, quantile in cases:
            case = f"grid_size={size}, quantile={quantile}"
            student.case = case
            expect_shape(student(small_vae(), grid_size=size, quantile=quantile), (size * size, 1, 28, 28), what, case)

    def values():
        model = small_vae(seed=1)
        for size, quantile in cases:
            case = f"grid_size={size}, quantile={quantile}"
            student.case = case
            got = expect_shape(student(model, grid_size=size, quantile=quantile), (size * size, 1, 28, 28), what, case)
            if got.requires_grad:
                message = t(
                    f"The images of {what} track gradients ({case}).", f"Gambar dari {what} melacak gradien ({case})."
                )
                raise CheckFailure(message, hint="no-grad")
            got = got.cpu()
            expected = latent.manifold_grid(model, size, quantile)
            if not close(got.to(expected.dtype), expected) and _same_images_any_order(got, expected):
                message = t(
                    f"{what} has the right images in the wrong order ({case}).",
                    f"{what} berisi gambar yang benar dengan urutan yang salah ({case}).",
                )
                raise CheckFailure(message, hint="grid-order")
            values = torch.linspace(-1, 1, size) * torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(1 - quantile))
            z1, z2 = torch.meshgrid(values, values.flip(0), indexing="xy")
            with torch.no_grad():
                evenly_spaced = model.decode(torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1))
            expect_close(got, expected, what, case, {"grid-quantiles": evenly_spaced})

    run_parts("manifold_grid", {"shapes": shapes, "values": values}, part)


def _same_images_any_order(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Every expected image appears in ``got`` (flattened distances), in some order."""
    distances = torch.cdist(got.flatten(1).double(), expected.flatten(1).double())  # (N, N)
    return bool((distances.min(dim=0).values < 1e-4).all())


def check_encode_means(encode_means: Callable, part: str | None = None) -> None:
    """Check ``encode_means(model, images, batch_size=1000) -> (N, D)``: posterior means, no gradients.

    Parts: ``"shapes"``, ``"values"``.
    """
    student = Student(encode_means, "encode_means", (latent.encode_means,))
    what = "encode_means(model, images, batch_size)"

    def cases():
        torch.manual_seed(3)
        autoencoder = models.MLPAutoencoder(models.MLPAutoencoderConfig(hidden_dim=16, latent_dim=2))
        images = torch.rand(50, 1, 28, 28, generator=generator(4))
        vae = small_vae(latent_dim=3, seed=2)
        for label, model in ((t("a VAE", "VAE"), vae), (t("an autoencoder", "autoencoder"), autoencoder)):
            for batch_size in (16, 1000):
                shape = tuple(images.shape)
                case = t(f"{label}, images of shape {shape}", f"{label}, gambar berbentuk {shape}")
                case += f", batch_size={batch_size}"
                yield model, images, batch_size, case

    def shapes():
        for model, images, batch_size, case in cases():
            student.case = case
            got = student(model, images, batch_size=batch_size)
            shape = (images.shape[0], model.latent_dim)
            first_batch_only = (min(batch_size, len(images)), model.latent_dim)
            expect_shape(
                got, shape, what, case, lambda wrong, first=first_batch_only: "batches" if wrong == first else None
            )

    def values():
        for model, images, batch_size, case in cases():
            student.case = case
            got = student(model, images, batch_size=batch_size)
            again = student(model, images, batch_size=batch_size)
            expected = latent.encode_means(model, images, batch_size, device="cpu")  # the model stays on the CPU
            if isinstance(got, torch.Tensor) and isinstance(again, torch.Tensor) and not torch.equal(got, again):
                message = t(
                    f"{what} returned different codes for the same images ({case}).",
                    f"{what} mengembalikan kode yang berbeda untuk gambar yang sama ({case}).",
                )
                raise CheckFailure(message, hint="samples-not-means")
            if isinstance(got, torch.Tensor) and got.requires_grad:
                message = t(
                    f"The codes of {what} track gradients ({case}).", f"Kode dari {what} melacak gradien ({case})."
                )
                raise CheckFailure(message, hint="no-grad")
            candidates = {}
            if isinstance(model, models.MLPVAE):
                with torch.no_grad():
                    candidates["encode-outputs"] = model.encode(images)[1]
            expect_close(got.cpu() if isinstance(got, torch.Tensor) else got, expected, what, case, candidates)

    run_parts("encode_means", {"shapes": shapes, "values": values}, part)


def clustered_codes(points_per_cluster: int = 12, clusters: int = 4, dims: int = 6) -> torch.Tensor:
    """Hidden codes: well separated Gaussian clusters (t-SNE should keep each cluster together)."""
    g = generator(7)
    centers = 6.0 * torch.randn(clusters, dims, generator=g)
    noise = torch.randn(clusters, points_per_cluster, dims, generator=g)
    return (centers[:, None, :] + noise).reshape(-1, dims)


def check_tsne_embedding(tsne_embedding: Callable, part: str | None = None) -> None:
    """Check ``tsne_embedding(codes, seed=0, perplexity=30.0) -> (N, 2)``. Parts: shapes, values.

    t-SNE has no single right answer, so the values part checks the properties every correct
    answer has: the same seed gives the same embedding, and neighbours stay neighbours.
    """
    from sklearn.manifold import trustworthiness  # loads scikit-learn's OpenMP before threads are limited

    student = Student(tsne_embedding, "tsne_embedding", (latent.tsne_embedding,))
    what = "tsne_embedding(codes, seed, perplexity)"
    codes = clustered_codes()
    perplexity = 8.0
    case = (
        t(f"codes of shape {tuple(codes.shape)}", f"kode berbentuk {tuple(codes.shape)}") + f", perplexity={perplexity}"
    )
    student.case = case

    def run(inputs, seed):
        out = student(inputs, seed=seed, perplexity=perplexity)
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
        if not isinstance(out, np.ndarray):
            kind = type(out).__name__
            message = t(
                f"{what} should return an array (N, 2), got {kind}.",
                f"{what} seharusnya mengembalikan array (N, 2), didapat {kind}.",
            )
            raise CheckFailure(message)
        return out

    def shapes():
        got = run(codes, seed=0)
        if got.shape != (codes.shape[0], 2):
            expected = (codes.shape[0], 2)
            message = t(
                f"{what} has the wrong shape ({case}): expected {expected}, got {got.shape}.",
                f"Bentuk {what} salah ({case}): seharusnya {expected}, didapat {got.shape}.",
            )
            raise CheckFailure(message)

    def values():
        first, again = run(codes, seed=1), run(codes.numpy(), seed=1)  # a tensor, then an array
        if first.shape != again.shape or not np.allclose(first, again, atol=1e-4):
            message = t(
                f"{what} gave two different embeddings for the same codes and seed ({case}).",
                f"{what} memberi dua embedding yang berbeda untuk kode dan seed yang sama ({case}).",
            )
            raise CheckFailure(message, hint="tsne-seed")
        score = trustworthiness(codes.numpy(), first, n_neighbors=5)
        if score < 0.9:
            message = t(
                f"{what} keeps too few neighbours together ({case}): trustworthiness {score:.2f} < 0.90.",
                f"{what} menjaga terlalu sedikit tetangga tetap berdekatan ({case}): trustworthiness {score:.2f} < 0.90.",
            )
            raise CheckFailure(message, hint="tsne-quality")

    run_parts("tsne_embedding", {"shapes": shapes, "values": values}, part)
