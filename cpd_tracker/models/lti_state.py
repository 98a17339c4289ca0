"""Server-side LTI state shared by every worker: logins in flight and the tool's signing keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class LoginState(Base):
    """One OIDC login initiation: its state, nonce and target, consumed once at launch."""

    __tablename__ = "login_state"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), unique=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    target_link_uri: Mapped[str] = mapped_column(String(2048))
    storage_target: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    taken_at: Mapped[dt.datetime | None]
    #: The login's own parameters, so "open in a new tab" can start it again top-level.
    relaunch_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ToolKey(Base):
    """One of the tool's RSA signing keys. The private key is encrypted with SECRET_KEY."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When a newer key took over signing; None for the current key.
    retired_at: Mapped[dt.datetime | None]
    #: A retired key stays in the JWKS until tokens signed with it have expired.
    publish_until: Mapped[dt.datetime | None]
