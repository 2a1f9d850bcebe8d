"""The `nabiyam` console script: one entry point for everything a developer or operator does."""
