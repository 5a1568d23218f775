"""Seeds the database through the ORM (run after `alembic upgrade head`): python -m agentgrid.seed

The data is deterministic (fixed random seed) and aims at the places a
migration can lose something: unicode and COPY-hostile text, big and deeply
nested JSON documents, JSON null next to SQL NULL, 64-bit integers inside
and outside JSON, doubles at the edges, numerics stored as REAL, empty vs
NULL bytes, and datetimes written in several time zones (SQLAlchemy's SQLite
dialect keeps only their wall-clock fields; see schemas.py).
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, null, select

from .db import SessionLocal
from .models import Agent, AgentRun, AgentStatus, AuditEvent, RunStatus, User

RNG = random.Random(20240301)

ZONES = [
    timezone.utc,
    timezone(timedelta(hours=5, minutes=30)),  # India
    timezone(timedelta(hours=-8)),  # Pacific
    timezone(timedelta(hours=13, minutes=45)),  # Chatham, daylight time
    timezone(timedelta(hours=-3, minutes=-30)),  # Newfoundland
    timezone(timedelta(hours=9)),  # Tokyo
]

NAMES = [
    "Creator Studio",
    "Créateur d'images 🎨",
    "数据分析助手",
    "مساعد البحث",
    "Ωmega Planner",
    "Tab\tand\nnewline agent",
    "Back\\slash \\N \\. agent",
    'Quote " and \' agent',
    "👩‍💻 Pair programmer (ZWJ)",
    "e\u0301 combining accent",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters",
    "   leading and trailing spaces   ",
]

DESCRIPTIONS = [
    None,
    "",
    "\\N",
    "Multi-line\r\ndescription with CRLF\rand CR",
    "Emoji: 🤖🧠⚙️ — em dash — “curly quotes”",
    "x" * 20000,
    "ASCII control-ish: \x01\x02\x1f end",
]

BIG_INTS = [9007199254740993, 9223372036854775807, -9223372036854775808, 2**64 + 1, 10**30]
FLOATS = [0.1, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -2.5e-8, 123456789.123456789, 0.0]


def rand_uuid() -> uuid.UUID:
    return uuid.UUID(int=RNG.getrandbits(128), version=4)


def instant(i: int) -> datetime:
    """A datetime in one of several zones, with and without microseconds, far past to far future."""
    bases = [
        datetime(2024, 3, 15, 12, 5, 57, 105542),
        datetime(1969, 7, 20, 20, 17, 40),
        datetime(2038, 1, 19, 3, 14, 8, 999999),
        datetime(2000, 2, 29, 23, 59, 59, 1),
        datetime(1900, 1, 1, 0, 0, 0),
        datetime(2999, 12, 31, 23, 59, 59, 999999),
        datetime(2024, 10, 27, 1, 30, 0),  # inside a DST overlap in Europe
    ]
    base = bases[i % len(bases)] + timedelta(minutes=17 * i)
    return base.replace(tzinfo=ZONES[i % len(ZONES)])


def nested(depth: int) -> dict:
    node: dict = {"leaf": True, "depth": depth}
    for d in range(depth):
        node = {"level": depth - d, "child": node, "tags": [d, str(d), d % 2 == 0, None]}
    return node


def agent_config(i: int):
    if i % 11 == 3:
        return null()  # SQL NULL
    if i % 11 == 7:
        return None  # JSON null: SQLAlchemy's JSON type stores the text 'null'
    provider = ["anthropic", "openai", "local"][i % 3]
    tools = [t for j, t in enumerate(["web_search", "code_exec", "image_gen", "retrieval"]) if (i >> j) & 1]
    config: dict = {
        "model": {"provider": provider, "name": f"model-{i % 5}", "params": {"temperature": FLOATS[i % len(FLOATS)], "max_tokens": 4096 + i}},
        "tools": tools,
        "prompt": NAMES[i % len(NAMES)] + " — system prompt ✓",
        "limits": {"tokens": BIG_INTS[i % len(BIG_INTS)], "ratio": 0.1 * i},
        "flags": {"beta": i % 2 == 0, "deprecated": None},
        "empty": {"obj": {}, "arr": [], "str": ""},
        "escapes": "\\N \\. \t \n \" \u2028 \u00e9 \U0001F916",
    }
    if i % 9 == 0:
        # A big document: ~200 KB with a deep branch.
        config["knowledge"] = [
            {"id": k, "title": f"Doc {k} — ünïcødé", "chunks": [RNG.random() for _ in range(20)], "meta": {"lang": ["en", "fr", "ja"][k % 3]}}
            for k in range(600)
        ]
        config["deep"] = nested(60)
    if i % 13 == 5:
        return [1, "two", {"three": 3}, [4.5]]  # a top-level array
    if i % 17 == 8:
        return "just a string ✓"  # a top-level string
    return config


def seed() -> dict:
    with SessionLocal() as session:
        users: list[User] = []
        for u in range(12):
            users.append(
                User(
                    id=rand_uuid(),
                    email=f"user{u}@exämple.com" if u % 4 == 1 else f"user{u}@example.com",
                    display_name=NAMES[u % len(NAMES)],
                    is_admin=u % 5 == 0,
                    avatar=None if u % 3 == 0 else (b"" if u % 3 == 1 else bytes(range(256)) * (u + 1)),
                    # Every fourth user keeps the server default (CURRENT_TIMESTAMP: 'YYYY-MM-DD HH:MM:SS').
                    **({} if u % 4 == 0 else {"created_at": instant(u)}),
                )
            )
        session.add_all(users)
        session.flush()

        agents: list[Agent] = []
        for i in range(48):
            kwargs = {}
            if i % 6 != 0:
                kwargs["created_at"] = instant(i + 3)
            agents.append(
                Agent(
                    id=rand_uuid(),
                    owner_id=users[i % len(users)].id,
                    name=NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" #{i}"),
                    description=DESCRIPTIONS[i % len(DESCRIPTIONS)],
                    status=list(AgentStatus)[i % len(AgentStatus)],
                    is_public=i % 3 != 0,
                    temperature=None if i % 10 == 9 else FLOATS[i % len(FLOATS)],
                    monthly_budget=None if i % 8 == 7 else [Decimal("1234.56"), Decimal("0.10"), Decimal("99999999.99"), Decimal("-0.01"), Decimal("0"), Decimal("42")][i % 6],
                    config=agent_config(i),
                    icon=None if i % 4 == 0 else (b"" if i % 4 == 1 else bytes([0, 1, 0xFF, 0x5C, 0x4E, 0x0A, 0x0D, 0x09]) * (i + 1)),
                    updated_at=None if i % 2 else instant(i + 7),
                    **kwargs,
                )
            )
        session.add_all(agents)
        session.flush()

        runs = 0
        for i, agent in enumerate(agents):
            for r in range(i % 5):
                started = instant(i * 5 + r)
                session.add(
                    AgentRun(
                        id=rand_uuid(),
                        agent_id=agent.id,
                        status=list(RunStatus)[(i + r) % len(RunStatus)],
                        input=null() if r == 3 else {"prompt": f"run {r} of {agent.name}", "attachments": [{"n": n, "big": BIG_INTS[n % len(BIG_INTS)]} for n in range(r)]},
                        output=None if r == 2 else ("résultat ✓ ".encode() * (r + 1) + b"\x00\xff"),
                        tokens_used=None if r == 1 else BIG_INTS[(i + r) % 3],
                        cost_usd=None if r == 4 else [Decimal("0.000123"), Decimal("123456.789012"), Decimal("0.1"), Decimal("-1.5")][(i + r) % 4],
                        succeeded=None if r == 0 else (i + r) % 2 == 0,
                        started_at=started,
                        finished_at=None if r == 3 else started + timedelta(seconds=i * 7 + r, microseconds=r * 1001),
                    )
                )
                runs += 1

        for e in range(25):
            session.add(AuditEvent(agent_id=agents[e].id if e % 5 else None, action="agent.seeded", detail={"n": e, "note": NAMES[e % len(NAMES)]}))
        session.commit()
        return {
            "users": session.scalar(select(func.count()).select_from(User)),
            "agents": session.scalar(select(func.count()).select_from(Agent)),
            "agent_runs": session.scalar(select(func.count()).select_from(AgentRun)),
            "audit_events": session.scalar(select(func.count()).select_from(AuditEvent)),
            "max_audit_event_id": session.scalar(select(func.max(AuditEvent.id))),
        }


if __name__ == "__main__":
    print(json.dumps(seed()))
