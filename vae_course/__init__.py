"""vae-course: the reference library of a course on variational autoencoders for Fashion-MNIST.

Importing the package does no work beyond importing PyTorch: no data is read, no device is chosen.
"""

from .checkpoints import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from .data import (
    CLASS_NAMES,
    IMAGE_SHAPE,
    IMAGE_SIZE,
    Batches,
    DataCorruptError,
    DataNotFoundError,
    ImageSet,
    load_fashion_mnist,
    train_val_split,
)
from .device import resolve_device
from .evaluate import (
    active_units,
    evaluate_negative_elbo,
    iwae_negative_log_likelihood,
    log_importance_weights,
    log_mean_exp,
)
from .gaussian import kl_diagonal_gaussians, kl_divergence, kl_per_dimension, reparameterize
from .latent import (
    encode_means,
    interpolate,
    linear_interpolation,
    manifold_grid,
    sample_images,
    sample_prior,
    spherical_interpolation,
    traverse,
    tsne_embedding,
)
from .losses import negative_elbo, reconstruction_loss
from .models import (
    MLPVAE,
    ConvVAE,
    ConvVAEConfig,
    MLPAutoencoder,
    MLPAutoencoderConfig,
    MLPVAEConfig,
    build_model,
    decode,
)
from .train import History, NonFiniteLossError, TrainConfig, fit
from .zoo import RECIPES, load_or_train, model_card

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES",
    "IMAGE_SHAPE",
    "IMAGE_SIZE",
    "RECIPES",
    "Batches",
    "CheckpointError",
    "ConvVAE",
    "ConvVAEConfig",
    "DataCorruptError",
    "DataNotFoundError",
    "History",
    "ImageSet",
    "MLPAutoencoder",
    "MLPAutoencoderConfig",
    "MLPVAE",
    "MLPVAEConfig",
    "NonFiniteLossError",
    "TrainConfig",
    "active_units",
    "build_model",
    "decode",
    "encode_means",
    "evaluate_negative_elbo",
    "fit",
    "interpolate",
    "iwae_negative_log_likelihood",
    "kl_diagonal_gaussians",
    "kl_divergence",
    "kl_per_dimension",
    "linear_interpolation",
    "load_checkpoint",
    "load_fashion_mnist",
    "load_or_train",
    "load_weights",
    "log_importance_weights",
    "log_mean_exp",
    "manifold_grid",
    "model_card",
    "negative_elbo",
    "reconstruction_loss",
    "reparameterize",
    "resolve_device",
    "sample_images",
    "sample_prior",
    "save_checkpoint",
    "spherical_interpolation",
    "train_val_split",
    "traverse",
    "tsne_embedding",
]
