"""Engine and session factory. The only configuration is DATABASE_URL, as in the seed apps."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set (e.g. sqlite:////path/app.db or postgresql+psycopg2://user@host:port/db)")
    return url


engine = create_engine(database_url())
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)
