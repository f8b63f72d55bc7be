"""End-to-end training: data, splits, vocabulary, network, evaluation, artifacts."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.artifacts import ArtifactConfig, save_artifacts
from model.encoding import TextEncoder
from model.network import MultiTaskLSTMClassifier
from model.preprocessing import Preprocessor
from model.vocabulary import Vocabulary
from training.config import TrainingConfig
from training.dataset import ID_COLUMN, TEXT_COLUMN, LabelledData, load_labelled_data
from training.evaluation import (
    EvaluationResult,
    LossWeights,
    evaluate,
    evaluation_metrics,
)
from training.exploration import explore
from training.loaders import (
    EncodedDataset,
    make_evaluation_loader,
    make_training_loader,
)
from training.model_card import render_model_card
from training.plots import plot_confusion_matrix, plot_training_curves
from training.seeding import set_seed
from training.splits import DataSplits, split_stratified
from training.threads import DEFAULT_TRAINING_THREADS, torch_threads
from training.trainer import FitResult, fit

logger = logging.getLogger(__name__)

EXPLORATION_FILE = "exploration.json"
SPLITS_FILE = "splits.json"
CURVES_PLOT_FILE = "training_curves.png"
CONFUSION_PLOT_FILES = {
    "category": "confusion_category.png",
    "sentiment": "confusion_sentiment.png",
}


@dataclass(frozen=True, slots=True)
class PreparedData:
    """Clean rows, their splits and the encoder built from the training split."""

    data: LabelledData
    splits: DataSplits
    preprocessor: Preprocessor
    vocabulary: Vocabulary
    train_set: EncodedDataset
    validation_set: EncodedDataset
    test_set: EncodedDataset


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A trained network with its history and its validation and test results."""

    network: MultiTaskLSTMClassifier
    fit: FitResult
    validation: EvaluationResult
    test: EvaluationResult


def prepare_data(data_path: Path | str, config: TrainingConfig) -> PreparedData:
    """Load the sheet, split it and encode every split with a training vocabulary."""
    data = load_labelled_data(
        data_path,
        category_labels=config.category_labels,
        sentiment_labels=config.sentiment_labels,
    )
    splits = split_stratified(
        data.frame,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )
    preprocessor = Preprocessor(config.preprocessing_config())
    # Only training texts feed the vocabulary, so validation and test words are
    # unknown to the model exactly as new words will be in production.
    vocabulary = Vocabulary.build(
        (preprocessor.tokenize(text) for text in splits.train[TEXT_COLUMN]),
        min_freq=config.min_freq,
        max_size=config.max_vocab_size,
    )
    encoder = TextEncoder(preprocessor, vocabulary, config.max_tokens)
    labels = (config.category_labels, config.sentiment_labels)
    logger.info("splits %s, vocabulary %d tokens", splits.sizes(), len(vocabulary))
    return PreparedData(
        data=data,
        splits=splits,
        preprocessor=preprocessor,
        vocabulary=vocabulary,
        train_set=EncodedDataset(splits.train, encoder, *labels),
        validation_set=EncodedDataset(splits.validation, encoder, *labels),
        test_set=EncodedDataset(splits.test, encoder, *labels),
    )


def train_model(
    prepared: PreparedData, config: TrainingConfig, seed: int
) -> TrainedModel:
    """Train one network on `prepared` with `seed` for initialisation and shuffling."""
    generator = set_seed(seed)
    network = MultiTaskLSTMClassifier(config.network_config(len(prepared.vocabulary)))
    train_loader = make_training_loader(
        prepared.train_set, batch_size=config.batch_size, generator=generator
    )
    validation_loader = make_evaluation_loader(prepared.validation_set)
    test_loader = make_evaluation_loader(prepared.test_set)
    fit_result = fit(network, train_loader, validation_loader, config)
    weights = LossWeights(config.category_loss_weight, config.sentiment_loss_weight)
    return TrainedModel(
        network=network,
        fit=fit_result,
        validation=evaluate(network, validation_loader, weights),
        test=evaluate(network, test_loader, weights),
    )


def run_training(
    data_path: Path | str,
    out_dir: Path | str,
    config: TrainingConfig,
    *,
    write_plots: bool = True,
    threads: int | None = DEFAULT_TRAINING_THREADS,
) -> Path:
    """Train the configured model and write artifacts, reports and plots to `out_dir`.

    `threads` sets the PyTorch CPU threads for the run (`None` keeps the current
    setting). Returns `out_dir`, which `model.Predictor.load` accepts afterwards.
    """
    with torch_threads(threads):
        return _run_training(data_path, Path(out_dir), config, write_plots=write_plots)


def _run_training(
    data_path: Path | str, out_dir: Path, config: TrainingConfig, *, write_plots: bool
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    logger.info("training started data=%s out=%s config=%s", data_path, out_dir, config)

    prepared = prepare_data(data_path, config)
    exploration = explore(
        prepared.data,
        prepared.preprocessor,
        category_labels=config.category_labels,
        sentiment_labels=config.sentiment_labels,
        plot_dir=out_dir if write_plots else None,
    )
    _write_json(out_dir / EXPLORATION_FILE, exploration)
    _write_json(out_dir / SPLITS_FILE, _split_ids(prepared.splits))

    trained = train_model(prepared, config, seed=config.seed)
    metrics = _artifact_metrics(prepared, trained, config, exploration)
    network_config = config.network_config(len(prepared.vocabulary))
    artifact_config = ArtifactConfig(
        network=network_config,
        preprocessing=config.preprocessing_config(),
        category_labels=config.category_labels,
        sentiment_labels=config.sentiment_labels,
        max_tokens=config.max_tokens,
    )
    model_card = render_model_card(
        config,
        data_name=Path(data_path).name,
        split_sizes=prepared.splits.sizes(),
        test_metrics=metrics["test"],
        best_epoch=trained.fit.best_epoch,
    )
    version = save_artifacts(
        out_dir,
        config=artifact_config,
        vocabulary=prepared.vocabulary,
        network=trained.network,
        metrics=metrics,
        model_card=model_card,
    )
    if write_plots:
        _write_training_plots(out_dir, trained, metrics)
    logger.info(
        "training finished model_version=%s seconds=%.1f test_category_accuracy=%.3f "
        "test_sentiment_accuracy=%.3f",
        version,
        trained.fit.seconds,
        metrics["test"]["category"]["accuracy"],
        metrics["test"]["sentiment"]["accuracy"],
    )
    return out_dir


def train_artifacts(
    data_path: Path | str,
    out_dir: Path | str,
    *,
    epochs: int = 3,
    seed: int = 0,
    **hyperparameter_overrides: Any,
) -> Path:
    """Train a model quickly and write a complete artifacts folder to `out_dir`.

    Meant for tests and demos: the default of 3 epochs gives a loadable but weak
    model. Any field of `TrainingConfig` can be overridden by keyword; plots are
    skipped to save time, and training runs on one PyTorch thread.
    """
    config = TrainingConfig().with_overrides(
        epochs=epochs, seed=seed, **hyperparameter_overrides
    )
    return run_training(data_path, out_dir, config, write_plots=False)


def _artifact_metrics(
    prepared: PreparedData,
    trained: TrainedModel,
    config: TrainingConfig,
    exploration: dict[str, Any],
) -> dict[str, Any]:
    labels = (config.category_labels, config.sentiment_labels)
    return {
        "test": evaluation_metrics(trained.test, *labels),
        "validation": evaluation_metrics(trained.validation, *labels),
        "training": trained.fit.to_dict(),
        "split_sizes": prepared.splits.sizes(),
        "vocabulary_size": len(prepared.vocabulary),
        "data": exploration["rows"],
        "hyperparameters": config.to_dict(),
    }


def _write_training_plots(
    out_dir: Path, trained: TrainedModel, metrics: dict[str, Any]
) -> None:
    plot_training_curves(trained.fit.history, out_dir / CURVES_PLOT_FILE)
    for task, file_name in CONFUSION_PLOT_FILES.items():
        task_metrics = metrics["test"][task]
        plot_confusion_matrix(
            task_metrics["confusion_matrix"],
            task_metrics["labels"],
            f"{task} on the test split",
            out_dir / file_name,
        )


def _split_ids(splits: DataSplits) -> dict[str, list[str]]:
    return {
        "train": splits.train[ID_COLUMN].tolist(),
        "validation": splits.validation[ID_COLUMN].tolist(),
        "test": splits.test[ID_COLUMN].tolist(),
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
