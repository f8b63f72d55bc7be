"""Training of the multi-task feedback classifier.

`train_artifacts` trains a model and writes an artifacts folder that
`model.Predictor.load` accepts; `python -m training --help` lists the command line.
"""

from training.config import TrainingConfig
from training.exceptions import DataError, TrainingError
from training.pipeline import run_training, train_artifacts

__all__ = [
    "DataError",
    "TrainingConfig",
    "TrainingError",
    "run_training",
    "train_artifacts",
]
