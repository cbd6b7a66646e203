from django.contrib import admin

from .models import EvidenceItem


@admin.register(EvidenceItem)
class EvidenceItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "team", "processing_state", "is_synthetic"]
    list_filter = ["kind", "team", "processing_state", "source_reliability"]
    search_fields = ["title", "description", "sha256"]
