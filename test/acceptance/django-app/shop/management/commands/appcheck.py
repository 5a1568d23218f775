"""What the application does through the ORM, printed as one JSON object so the
test can compare SQLite with PostgreSQL: lookups on each field type, a login,
and (with --write) new rows."""
import datetime
import json
from decimal import Decimal

from django.contrib.auth import authenticate
from django.core.management.base import BaseCommand
from django.db.models import Count, Sum
from django.test import Client

from shop.models import Document, Item, Tag


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


class Command(BaseCommand):
    help = "Exercise the ORM and print the results as JSON"

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="also create rows and log in")

    def handle(self, *args, **options):
        first = Item.objects.order_by("pk").first()
        out = {
            "by_uid": ids(Item.objects.filter(uid=first.uid)),
            "by_document": ids(Item.objects.filter(document_id="00000000000000000000000000000001")),
            "document_titles": list(Document.objects.order_by("id").values_list("title", flat=True)),
            "ttl_gt_1h": ids(Item.objects.filter(ttl__gt=datetime.timedelta(hours=1))),
            "ttl_negative": ids(Item.objects.filter(ttl__lt=datetime.timedelta(0))),
            "ttl_values": [str(t) for t in Item.objects.order_by("pk").values_list("ttl", flat=True)],
            # SQLite sums the stored reals, PostgreSQL the exact numerics: compared as decimals.
            "price_sum": str(Decimal(Item.objects.aggregate(s=Sum("price"))["s"]).normalize()),
            "price_eq_3": ids(Item.objects.filter(price=Decimal("3"))),
            "ip_loopback": ids(Item.objects.filter(ip="::1")),
            "ip_v4": ids(Item.objects.filter(ip="192.168.0.1")),
            "json_has_a": ids(Item.objects.filter(data__has_key="a")),
            "json_key_path": ids(Item.objects.filter(data__nested__k="ü")),
            "json_big": [str(d["big"]) for d in Item.objects.filter(data__has_key="big").values_list("data", flat=True)],
            "json_sql_null": ids(Item.objects.filter(data__isnull=True)),
            "tag_counts": list(Tag.objects.annotate(n=Count("item")).order_by("name").values_list("name", "n")),
            "created_march": ids(Item.objects.filter(created__month=3)),
            "active": ids(Item.objects.filter(active=True)),
            "alice": authenticate(username="alice", password="wonder-Land-42") is not None,
            "alice_wrong_password": authenticate(username="alice", password="nope") is not None,
            "bob_inactive": authenticate(username="bob", password="b0b-password") is not None,
            "alice_perms": sorted(__import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model().objects.get(username="alice").get_all_permissions()),
        }
        if options["write"]:
            c = Client()
            out["client_login_admin"] = c.login(username="admin", password="s3cret-Adm1n")
            out["admin_page"] = c.get("/admin/shop/item/").status_code
            doc = Document.objects.create(title="made on the new database")
            item = Item.objects.create(
                name="new", data={"new": True}, ttl=datetime.timedelta(minutes=90), price=Decimal("42.4200"),
                ip="203.0.113.7", document=doc,
            )
            item.tags.set(Tag.objects.filter(name__in=["red", "ünï"]))
            tag = Tag.objects.create(name="fresh")
            back = Item.objects.get(pk=item.pk)
            out["new_item"] = {
                "pk_after_max": item.pk > max(i for i in Item.objects.exclude(pk=item.pk).values_list("pk", flat=True)),
                "ttl": str(back.ttl), "price": str(back.price), "ip": back.ip, "data": back.data,
                "tags": sorted(back.tags.values_list("name", flat=True)), "document": str(back.document_id) == str(doc.id),
            }
            out["new_tag_pk_after_max"] = tag.pk > max(Tag.objects.exclude(pk=tag.pk).values_list("pk", flat=True))
        print(json.dumps(out, ensure_ascii=False))
