"""The history that the GAN, DDPM and classifier trainers return: one dict of numbers per epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn


@dataclass
class TrainingLog:
    """Per-epoch records, e.g. ``{"epoch": 1, "generator_loss": 0.9, "seconds": 41.2}``.

    It answers the same questions as :class:`~vae_course.train.History` (``column``, ``to_dict``,
    ``best_epoch``); these trainers do no early stopping, so the best epoch is the last.
    """

    epochs: list[dict] = field(default_factory=list)

    @property
    def best_epoch(self) -> int | None:
        return len(self.epochs) or None

    stopped_early = False

    def column(self, name: str) -> list[float]:
        """One column across epochs, e.g. ``log.column("seconds")``."""
        return [record[name] for record in self.epochs]

    def append(self, record: dict, progress: bool = False) -> None:
        self.epochs.append(record)
        if progress:
            print(
                ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()), flush=True
            )

    def finish(self, model: nn.Module) -> TrainingLog:
        """Leave ``model`` in eval mode and return the log (the last line of every trainer)."""
        model.eval()
        return self

    def to_dict(self) -> dict:
        return {"epochs": list(self.epochs), "best_epoch": self.best_epoch, "stopped_early": False}
