"""Errors of the API package."""

from __future__ import annotations

from oracles.errors import AgentnetError


class ApiError(AgentnetError):
    """Base class of the API's errors."""


class BadRequest(ApiError):
    """A request that does not match the API's schema (HTTP 400)."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Rejected(BadRequest):
    """A well-formed request the contract would reject in its present state (HTTP 409)."""

    status = 409


class NotFound(ApiError):
    """An unknown task, agent or route (HTTP 404)."""
