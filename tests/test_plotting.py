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
        "labelled": plotting.labelled_grid(images, ["a", "b", "c"], ["1", "2", "3", "4"], xlabel="column"),
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


def test_labelled_grid_labels_every_row_and_column():
    images = torch.rand(6, 1, 28, 28)
    ax = plotting.labelled_grid(images, ["top", "bottom"], ["x", "y", "z"], xlabel="step").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["top", "bottom"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_xlabel() == "step"
    offsets = plotting.traversal_grid(images, num_dims=2, values=[-1.0, 0.0, 1.0], value_format="{:+.1f}").axes[0]
    assert [t.get_text() for t in offsets.get_xticklabels()] == ["-1.0", "+0.0", "+1.0"]
    with pytest.raises(ValueError, match="rows"):
        plotting.labelled_grid(images, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="column labels"):
        plotting.labelled_grid(images, ["a", "b"], ["x"])
