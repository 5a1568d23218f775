"""Fills the database through the ORM with values at the edges of each field
type, on SQLite, before the migration. Prints a JSON summary."""
import datetime
import json
import uuid
from decimal import Decimal

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Value
from django.db.models.fields.json import JSONField

from shop.models import Document, Item, Tag

PARIS = datetime.timezone(datetime.timedelta(hours=2))


class Command(BaseCommand):
    help = "Seed the acceptance data through the ORM"

    @transaction.atomic
    def handle(self, *args, **options):
        editors = Group.objects.create(name="editors")
        editors.permissions.set(Permission.objects.filter(codename__in=["add_item", "change_item", "view_item"]))
        admin = User.objects.create_superuser("admin", "admin@example.com", "s3cret-Adm1n")
        alice = User.objects.create_user("alice", "alice@example.com", "wonder-Land-42", first_name="Ålice", last_name="Ünïcödé 数据")
        alice.groups.add(editors)
        User.objects.create_user("bob", "bob@example.com", "b0b-password", is_active=False)

        tags = [Tag.objects.create(name=n) for n in ["red", "green", "blue", "ünï"]]
        docs = [
            Document.objects.create(id=uuid.UUID("00000000-0000-0000-0000-000000000001"), title="first"),
            Document.objects.create(id=uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff"), title="last"),
            Document.objects.create(title="random"),
        ]
        durations = [
            datetime.timedelta(days=1, seconds=5),  # 86405000000 microseconds
            datetime.timedelta(microseconds=1),
            datetime.timedelta(microseconds=-1),
            datetime.timedelta(days=-3, hours=4),
            datetime.timedelta(days=999999, microseconds=999999),  # beyond what "seconds" could hold
            datetime.timedelta(0),
            None,
        ]
        prices = ["3", "1234.5000", "-0.0001", "99999999.9999", "0", "12.3400", "7"]
        ips = ["192.168.0.1", "::1", "2001:db8::ff00:42:8329", "10.0.0.255", None, "::ffff:192.0.2.1", "fe80::1"]
        datas = [
            {"a": [1, 2, "x"], "b": None, "nested": {"k": "ü"}},
            [1, 2.5, "three", True, None],
            "a string",
            None,  # SQL NULL
            Value("null", output_field=JSONField()),  # JSON null
            {"big": 9007199254740993, "deep": {"x": {"y": [{}]}}},
            {},
        ]
        base = datetime.datetime(2024, 3, 15, 12, 5, 57, 105542, tzinfo=PARIS)
        items = []
        for i in range(35):
            k = i % 7
            item = Item.objects.create(
                name=f"item {i}",
                data=datas[k],
                ttl=durations[k],
                price=Decimal(prices[k]),
                ip=ips[k],
                created=base + datetime.timedelta(days=i, microseconds=0 if i % 3 == 0 else i),
                active=i % 2 == 0,
                document=docs[i % 3] if i % 4 else None,
                owner=[admin, alice, None][i % 3],
            )
            item.tags.set(tags[: i % 5])
            items.append(item)
        Item.objects.filter(pk=items[-1].pk).delete()  # a gap in the ids
        LogEntry.objects.log_action(
            user_id=admin.pk,
            content_type_id=ContentType.objects.get_for_model(Item).pk,
            object_id=str(items[0].pk),
            object_repr=str(items[0]),
            action_flag=ADDITION,
            change_message=json.dumps([{"added": {}}]),
        )
        session = SessionStore()
        session["cart"] = [items[1].pk, items[2].pk]
        session.create()
        print(json.dumps({"users": User.objects.count(), "items": Item.objects.count(), "tags": Tag.objects.count()}))
