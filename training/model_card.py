"""Text of the MODEL_CARD.md file stored with the artifacts."""

from __future__ import annotations

from typing import Any

from training.config import TrainingConfig

POOLING_DESCRIPTIONS = {
    "last": "the final hidden states of the top layer",
    "attention": "attention pooling over the top layer's outputs",
}


def render_model_card(
    config: TrainingConfig,
    *,
    data_name: str,
    split_sizes: dict[str, int],
    test_metrics: dict[str, Any],
    best_epoch: int,
) -> str:
    """Return a short Markdown description of the trained model."""
    direction = "bidirectional" if config.bidirectional else "unidirectional"
    category = test_metrics["category"]
    sentiment = test_metrics["sentiment"]
    lines = [
        "# Telecom feedback classifier",
        "",
        "Classifies one customer feedback text by category and by sentiment.",
        "",
        "## Model",
        f"- {config.num_layers}-layer {direction} LSTM with {config.hidden_size} "
        f"hidden units per direction over {config.embedding_dim}-dimensional "
        "embeddings trained from scratch.",
        f"- Sentence vector: {POOLING_DESCRIPTIONS[config.pooling]}; one linear head "
        "per task.",
        f"- Category labels: {', '.join(config.category_labels)}.",
        f"- Sentiment labels: {', '.join(config.sentiment_labels)}.",
        f"- Reads at most {config.max_tokens} tokens per text and truncates the rest.",
        "",
        "## Training data",
        f"- Source sheet: `{data_name}`.",
        f"- Rows per split: train {split_sizes['train']}, validation "
        f"{split_sizes['validation']}, test {split_sizes['test']}, stratified by "
        f"(category, sentiment) with seed {config.seed}.",
        f"- Best checkpoint: epoch {best_epoch}, chosen by validation loss.",
        "",
        "## Test results",
        "| task | accuracy | macro-F1 |",
        "| --- | --- | --- |",
        f"| category | {category['accuracy']:.3f} | {category['macro_f1']:.3f} |",
        f"| sentiment | {sentiment['accuracy']:.3f} | {sentiment['macro_f1']:.3f} |",
        "",
        "## Intended use and limits",
        "- English telecom customer feedback: complaint titles, chats, reviews and "
        "e-mails.",
        "- Every text gets one of the labels above, even an off-topic one, so check "
        "the confidence before acting on a prediction.",
        "- Quality on real traffic depends on how closely it resembles the training "
        "sheet.",
        "",
    ]
    return "\n".join(lines)
