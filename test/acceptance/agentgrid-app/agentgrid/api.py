"""The HTTP API: GET/POST /api/v1/agents/, GET /api/v1/agents/{id}, GET /healthz."""
from __future__ import annotations

import json
import uuid
from typing import Optional

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import select, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, selectinload

from .db import SessionLocal, engine
from .models import Agent, AuditEvent, User
from .schemas import AgentCreate, AgentDetail, AgentSummary

app = FastAPI(title="AgentGrid")


def get_session():
    with SessionLocal() as session:
        yield session


@app.get("/healthz")
def healthz(session: Session = Depends(get_session)) -> dict:
    """Which database and which role the app really talks to (the test checks it is the app role)."""
    user = session.execute(text("SELECT current_user")).scalar() if engine.dialect.name == "postgresql" else None
    return {"status": "ok", "dialect": engine.dialect.name, "user": user}


@app.get("/api/v1/agents/", response_model=list[AgentSummary])
def list_agents(
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    config_contains: Optional[str] = Query(None, description='JSON document, e.g. {"model":{"provider":"anthropic"}}'),
    session: Session = Depends(get_session),
):
    stmt = select(Agent).order_by(Agent.id).limit(limit).offset(offset)
    if config_contains is not None:
        if engine.dialect.name != "postgresql":
            raise HTTPException(400, "config_contains needs PostgreSQL (JSONB containment)")
        try:
            doc = json.loads(config_contains)
        except ValueError as err:
            raise HTTPException(422, f"config_contains is not JSON: {err}") from err
        # config @> :doc::jsonb
        stmt = stmt.where(type_coerce(Agent.config, JSONB).contains(doc))
    return session.scalars(stmt).all()


@app.get("/api/v1/agents/{agent_id}", response_model=AgentDetail)
def get_agent(agent_id: uuid.UUID, session: Session = Depends(get_session)):
    agent = session.scalars(
        select(Agent).where(Agent.id == agent_id).options(selectinload(Agent.owner), selectinload(Agent.runs))
    ).one_or_none()
    if agent is None:
        raise HTTPException(404, "agent not found")
    return agent


@app.post("/api/v1/agents/", response_model=AgentDetail, status_code=201)
def create_agent(body: AgentCreate, session: Session = Depends(get_session)):
    if session.get(User, body.owner_id) is None:
        raise HTTPException(422, "owner not found")
    agent = Agent(**body.model_dump())
    session.add(agent)
    session.flush()
    session.add(AuditEvent(agent_id=agent.id, action="agent.created", detail={"name": agent.name, "config_keys": sorted((body.config or {}).keys()) if isinstance(body.config, dict) else []}))
    session.commit()
    session.refresh(agent)
    return get_agent(agent.id, session)
