"""Financial NER (MONEY, DATE, CATEGORY, MERCHANT, ACCOUNT) with value normalisation and narration parsing."""

from nivesh_ml.models.ner.family import FAMILY, NerFamily
from nivesh_ml.models.ner.predictor import NerPredictor

__all__ = ["FAMILY", "NerFamily", "NerPredictor"]
