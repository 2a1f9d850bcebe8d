"""Training jobs: GPU batch jobs in AWS (SageMaker / Batch), plain processes locally.

Each job module exposes ``add_arguments(parser)`` and ``main(args) -> int`` and is listed in
``nabiyam.cli.train.TRAINING_JOBS``. Modules here may import torch; the core library may not,
so the job modules that are registered must keep torch imports inside ``main``.
"""
