"""Models with the field types whose SQLite storage differs most from
PostgreSQL's (docs: shared notes orm-formats.md, Django section)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Document(models.Model):
    # char(32) hex on SQLite, uuid on PostgreSQL, and a foreign-key target.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.CharField(max_length=200)


class Item(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100)
    data = models.JSONField(null=True)
    ttl = models.DurationField(null=True)
    price = models.DecimalField(max_digits=12, decimal_places=4)
    ip = models.GenericIPAddressField(null=True)
    created = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)
    document = models.ForeignKey(Document, null=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True)
