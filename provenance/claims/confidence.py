"""The ICD-203 scale, kept in the kernel (common.confidence) so entity relationships
rate their confidence on the same scale as claims; claims code imports it here."""

from provenance.common.confidence import BANDS, SCALE, Band, ConfidenceLevel

__all__ = ["BANDS", "SCALE", "Band", "ConfidenceLevel"]
