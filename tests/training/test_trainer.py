from __future__ import annotations

from pathlib import Path

import pytest

from training.config import TrainingConfig
from training.evaluation import LossWeights, evaluate
from training.loaders import make_evaluation_loader
from training.pipeline import PreparedData, TrainedModel, prepare_data, train_model

SmallRun = tuple[PreparedData, TrainingConfig, TrainedModel]


@pytest.fixture(scope="module")
def small_run(fixture_sheet: Path) -> SmallRun:
    config = TrainingConfig(
        epochs=8,
        patience=2,
        lr_patience=1,
        hidden_size=16,
        embedding_dim=16,
        num_layers=1,
    )
    prepared = prepare_data(fixture_sheet, config)
    return prepared, config, train_model(prepared, config, seed=0)


def test_fit_restores_best_checkpoint(small_run: SmallRun) -> None:
    prepared, config, trained = small_run
    losses = [record.val_loss for record in trained.fit.history]
    assert trained.fit.best_val_loss == min(losses)
    assert trained.fit.best_epoch == losses.index(min(losses)) + 1
    weights = LossWeights(config.category_loss_weight, config.sentiment_loss_weight)
    loader = make_evaluation_loader(prepared.validation_set)
    again = evaluate(trained.network, loader, weights)
    assert again.loss == pytest.approx(trained.fit.best_val_loss, abs=1e-6)


def test_fit_stops_after_patience(small_run: SmallRun) -> None:
    _, config, trained = small_run
    history = trained.fit.history
    if trained.fit.stopped_early:
        assert len(history) - trained.fit.best_epoch == config.patience
    else:
        assert len(history) == config.epochs


def test_epoch_line_has_fixed_format(small_run: SmallRun) -> None:
    _, _, trained = small_run
    line = trained.fit.history[0].format_line(max_epochs=12)
    assert line.startswith("epoch  1/12 | train loss ")
    assert "| val loss " in line
    assert "| lr " in line
