"""Generative models and unsupervised learning: GAN, its evaluation, autoencoders,
anomaly detection and self-supervised pretext tasks."""

from reference.generative.autoencoder import (
    AnomalyExperiment,
    Autoencoder,
    anomaly_experiment,
    cycle_consistency_loss,
    fit_autoencoder,
    make_digits,
    reconstruction_error,
    roc_auc,
    roc_auc_pairs,
)
from reference.generative.evaluation import inception_score, mode_counts, mode_coverage, slerp
from reference.generative.gan import (
    discriminator_loss,
    gan_step,
    generator_loss,
    mlp,
    ring_centres,
    sample_ring,
)
from reference.generative.self_supervised import info_nce, mask_patches, rotation_pretext

__all__ = [
    "AnomalyExperiment",
    "Autoencoder",
    "anomaly_experiment",
    "cycle_consistency_loss",
    "discriminator_loss",
    "fit_autoencoder",
    "gan_step",
    "generator_loss",
    "inception_score",
    "info_nce",
    "make_digits",
    "mask_patches",
    "mlp",
    "mode_counts",
    "mode_coverage",
    "reconstruction_error",
    "ring_centres",
    "roc_auc",
    "roc_auc_pairs",
    "rotation_pretext",
    "sample_ring",
    "slerp",
]
