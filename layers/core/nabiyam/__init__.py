"""Nabiyam core library: shared by the API function, the scheduled jobs, training and tests.

Packaged as a Lambda layer (``layers/core``). Never imports torch, transformers or peft.
"""

__version__ = "0.1.0"
