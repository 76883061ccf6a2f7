from django.contrib import admin

from .models import Region, Station


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_generated"]
    list_filter = ["level", "is_generated"]
    search_fields = ["code", "name"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "serves_elderly", "serves_minors", "serves_social_work"]
    search_fields = ["name", "region__code"]
