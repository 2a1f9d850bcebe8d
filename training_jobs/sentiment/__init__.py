"""Sentiment training job: a hashed n-gram (fastText-style) classifier on NSMC (+ generated neutral
food requests), exported to ONNX for :mod:`nabiyam.sentiment.model`. Entry: ``nabiyam train sentiment``."""

from training_jobs.sentiment.job import add_arguments, main

__all__ = ["add_arguments", "main"]
