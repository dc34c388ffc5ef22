import numpy as np
import pytest
import torch

from vae_course import plotting
from vae_course.train import EpochRecord, History


def test_figures_render(tmp_path):
    images = torch.rand(12, 1, 28, 28)
    history = History([EpochRecord(1, 300.0, 10.0, 290.0, 11.0, 1.0), EpochRecord(2, 280.0, 12.0, 275.0, 12.5, 1.0)])
    figures = {
        "grid": plotting.image_grid(images, nrow=4, title="samples"),
        "recon": plotting.reconstruction_grid(images[:6], images[6:]),
        "loss": plotting.loss_curves(history),
        "loss_dict": plotting.loss_curves(history.to_dict()),
        "scatter": plotting.latent_scatter(np.random.randn(50, 2), np.arange(50) % 10),
        "traversal": plotting.traversal_grid(images, num_dims=2, values=np.linspace(-2, 2, 6)),
        "labelled": plotting.image_grid(
            images, nrow=4, row_labels=["a", "b", "c"], column_labels=["1", "2", "3", "4"], xlabel="column"
        ),
    }
    for name, fig in figures.items():
        path = plotting.save_figure(fig, tmp_path / f"{name}.png")
        assert path.stat().st_size > 1000, name
    assert len(figures["loss"].axes) == 3  # negative ELBO, reconstruction, KL
    legend = [t.get_text() for t in figures["scatter"].axes[0].get_legend().get_texts()]
    assert legend[0] == "T-shirt/top" and len(legend) == 10


def test_autoencoder_history_has_one_panel():
    history = History([EpochRecord(1, 300.0, 0.0, None, None, 1.0)])
    assert len(plotting.loss_curves(history).axes) == 1


def test_image_grid_checks_its_labels_and_traversals_write_offsets():
    images = torch.rand(6, 1, 28, 28)
    ax = plotting.image_grid(
        images, nrow=3, row_labels=["top", "bottom"], column_labels=["x", "y", "z"], xlabel="step"
    ).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["top", "bottom"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_xlabel() == "step"
    offsets = plotting.traversal_grid(images, num_dims=2, values=[-1.0, 0.0, 1.0], value_format="{:+.1f}").axes[0]
    assert [t.get_text() for t in offsets.get_xticklabels()] == ["-1.0", "+0.0", "+1.0"]
    with pytest.raises(ValueError, match="rows"):
        plotting.image_grid(images, nrow=3, row_labels=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="column labels"):
        plotting.image_grid(images, nrow=3, row_labels=["a", "b"], column_labels=["x"])


def test_image_grid_names_its_rows_and_columns():
    images = torch.rand(6, 1, 28, 28)
    fig = plotting.image_grid(
        images, nrow=3, row_labels=["original", "MLP VAE"], column_labels=["a", "b", "c"], xlabel="$z_1$"
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["original", "MLP VAE"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "$z_1$"
    ticks = ax.get_yticks()  # at the centres of the tiles, 28 pixels and a 1-pixel gap apart
    assert list(ticks) == [14, 14 + 29]
    unlabelled = plotting.image_grid(images, nrow=3).axes[0]
    assert not unlabelled.axison  # a bare grid keeps no axes


def test_reconstruction_grid_and_loss_curves_name_what_they_show():
    images = torch.rand(4, 1, 28, 28)
    fig = plotting.reconstruction_grid(images, images, title="MLP VAE, 20-D")
    assert fig.get_suptitle() == "MLP VAE, 20-D"
    assert [ax.get_ylabel() for ax in fig.axes] == ["original", "reconstruction"]
    history = History([EpochRecord(1, 300.0, 10.0, 290.0, 11.0, 1.0)])
    titles = [ax.get_title() for ax in plotting.loss_curves(history).axes]
    assert titles == ["negative ELBO", "reconstruction", "KL"]


def test_upsampling_stamps_add_up_to_the_layer():
    torch.manual_seed(0)
    for kernel, stride, padding in ((4, 2, 1), (3, 2, 0), (3, 2, 1)):
        layer = torch.nn.ConvTranspose2d(1, 1, kernel, stride, padding, bias=False)  # random weights
        x = torch.randn(3, 2)
        stamps, output = plotting.upsampling_stamps(layer, x)
        full = (torch.tensor(x.shape) - 1) * stride + kernel
        assert stamps.shape == (3, 2, *full.tolist())
        with torch.no_grad():
            expected = layer(x[None, None])[0, 0]  # the oracle: PyTorch's own layer
        assert torch.allclose(output, expected)
        cropped = stamps.sum(dim=(0, 1))[padding : full[0] - padding, padding : full[1] - padding]
        assert torch.allclose(cropped, expected, atol=1e-6)
        # one stamp is the kernel times the cell's value, placed at stride * (row, column)
        assert torch.allclose(
            stamps[2, 1, 2 * stride : 2 * stride + kernel, stride : stride + kernel],
            x[2, 1] * layer.weight[0, 0].detach(),
        )
    fig = plotting.upsampling_figure(layer, x)
    assert len(fig.get_axes()) == 1 + 6 + 1  # the input, one stamp per cell, the sum


def test_a_figure_with_alt_text_displays_as_png_with_the_alt_in_its_metadata():
    import base64

    fig = plotting.image_grid(torch.rand(4, 1, 28, 28), nrow=2)
    data, metadata = plotting.with_alt(fig, "four random images")._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert metadata == {"image/png": {"alt": "four random images"}} and data["text/plain"] == "four random images"
    with pytest.raises(ValueError, match="cannot be empty"):
        plotting.with_alt(fig, " ")
