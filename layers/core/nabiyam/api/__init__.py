"""The HTTP API: FastAPI app factory, schemas, identity, errors."""

from nabiyam.api.app import create_app

__all__ = ["create_app"]
