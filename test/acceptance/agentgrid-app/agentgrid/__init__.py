"""AgentGrid: a small FastAPI + SQLAlchemy 2 + Alembic app used as the acceptance client."""
