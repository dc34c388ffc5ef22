"""vae-course: the reference library of a course on variational autoencoders for Fashion-MNIST.

Importing the package does no work beyond importing PyTorch: no data is read, no device is chosen.
"""

from .checkpoints import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from .classifier import (
    ClassifierConfig,
    FashionClassifier,
    classifier_features,
    fit_classifier,
    predict_classes,
)
from .compare import draw_samples, frechet_distances, time_to_sample
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
from .frechet import frechet_distance, frechet_distance_of_features
from .gaussian import (
    kl_diagonal_gaussians,
    kl_divergence,
    kl_per_dimension,
    reparameterize,
)
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
    DCGAN,
    DDPM,
    MLPVAE,
    ConvVAE,
    ConvVAEConfig,
    DCGANConfig,
    DDPMConfig,
    MLPAutoencoder,
    MLPAutoencoderConfig,
    MLPVAEConfig,
    build_model,
    decode,
)
from .train import History, NonFiniteLossError, TrainConfig, fit
from .train_ddpm import DDPMTrainConfig, fit_ddpm
from .train_gan import GANTrainConfig, fit_gan
from .zoo import RECIPES, load_or_train, model_card

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES",
    "DCGAN",
    "DDPM",
    "IMAGE_SHAPE",
    "IMAGE_SIZE",
    "MLPVAE",
    "RECIPES",
    "Batches",
    "CheckpointError",
    "ClassifierConfig",
    "ConvVAE",
    "ConvVAEConfig",
    "DCGANConfig",
    "DDPMConfig",
    "DDPMTrainConfig",
    "DataCorruptError",
    "DataNotFoundError",
    "FashionClassifier",
    "GANTrainConfig",
    "History",
    "ImageSet",
    "MLPAutoencoder",
    "MLPAutoencoderConfig",
    "MLPVAEConfig",
    "NonFiniteLossError",
    "TrainConfig",
    "active_units",
    "build_model",
    "classifier_features",
    "decode",
    "draw_samples",
    "encode_means",
    "evaluate_negative_elbo",
    "fit",
    "fit_classifier",
    "fit_ddpm",
    "fit_gan",
    "frechet_distance",
    "frechet_distance_of_features",
    "frechet_distances",
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
    "predict_classes",
    "reconstruction_loss",
    "reparameterize",
    "resolve_device",
    "sample_images",
    "sample_prior",
    "save_checkpoint",
    "spherical_interpolation",
    "time_to_sample",
    "train_val_split",
    "traverse",
    "tsne_embedding",
]
