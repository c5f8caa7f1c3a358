"""Intent classification (DESIGN.md §6): fine-tuned MiniLM, served as ONNX int8 without torch."""

from nivesh_ml.models.intent.family import IntentFamily

FAMILY = IntentFamily()

__all__ = ["FAMILY", "IntentFamily"]
