"""The ICD-203 probability scale used for every confidence assessment (claims and
entity relationships alike)."""

from dataclasses import dataclass

from django.db import models


class ConfidenceLevel(models.TextChoices):
    ALMOST_NO_CHANCE = "almost_no_chance", "Almost no chance"
    VERY_UNLIKELY = "very_unlikely", "Very unlikely"
    UNLIKELY = "unlikely", "Unlikely"
    ROUGHLY_EVEN = "roughly_even_chance", "Roughly even chance"
    LIKELY = "likely", "Likely"
    VERY_LIKELY = "very_likely", "Very likely"
    ALMOST_CERTAIN = "almost_certain", "Almost certain"


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    rank: int  # 1..7, used as ClaimReview ratingValue
    low: int  # percent
    high: int


SCALE: tuple[Band, ...] = (
    Band("almost_no_chance", "Almost no chance", 1, 1, 5),
    Band("very_unlikely", "Very unlikely", 2, 5, 20),
    Band("unlikely", "Unlikely", 3, 20, 45),
    Band("roughly_even_chance", "Roughly even chance", 4, 45, 55),
    Band("likely", "Likely", 5, 55, 80),
    Band("very_likely", "Very likely", 6, 80, 95),
    Band("almost_certain", "Almost certain", 7, 95, 99),
)
BANDS = {band.key: band for band in SCALE}
