from django.contrib import admin

from shop.models import Document, Item, Tag

admin.site.register([Document, Item, Tag])
