"""Recommender: hard filters, four Layer-1 funnels, the Wide & Deep ranker (ONNX), reasons.

numpy + onnxruntime only: this package runs inside Lambda and never imports torch."""

from nabiyam.recsys.catalogue import CatalogueError, CatalogueIndex
from nabiyam.recsys.recommender import CandidateLog, RecommendationResult, Recommender

__all__ = ["CandidateLog", "CatalogueError", "CatalogueIndex", "RecommendationResult", "Recommender"]
