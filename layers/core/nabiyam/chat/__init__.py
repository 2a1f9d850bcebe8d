"""The chat pipeline (NLU → recommender → NLG → log) and experiment variants."""

from nabiyam.chat.pipeline import ChatPipeline, ChatTurn

__all__ = ["ChatPipeline", "ChatTurn"]
