"""Multi-task text classifier for telecom customer feedback.

The public surface is `Predictor`, which loads a trained artifacts folder and
classifies texts by category and sentiment, and the errors it raises.
"""

from model.exceptions import ArtifactError, ModelError
from model.predictor import VARIANTS, Prediction, Predictor

__all__ = ["VARIANTS", "ArtifactError", "ModelError", "Prediction", "Predictor"]
