"""Korean sentiment of user messages (positive | negative | neutral), served by onnxruntime.

Features: :mod:`nabiyam.sentiment.features`; runtime: :mod:`nabiyam.sentiment.model`; training:
``training_jobs/sentiment`` (``nabiyam train sentiment``).
"""
