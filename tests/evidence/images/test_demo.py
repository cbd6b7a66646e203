"""Synthetic stand-ins for the demo: deterministic, labelled, dated."""

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from evidence.images import process as images
from evidence.images.demo import SITES, synthetic_site_image

WHEN = datetime(2023, 10, 14, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize("site", sorted(SITES))
def test_site_image_is_a_valid_deterministic_jpeg(site):
    data = synthetic_site_image(site, captured_at=WHEN)

    assert data == synthetic_site_image(site, captured_at=WHEN)
    facts = images.process_image(io.BytesIO(data), filename=f"{site}.jpg")
    assert facts.mime == "image/jpeg"
    assert facts.captured_at == WHEN
    assert facts.gps.latitude == pytest.approx(SITES[site].latitude, abs=1e-3)
    assert "SYNTHETIC DEMO IMAGE" in facts.exif["ImageDescription"]


def test_sites_and_variants_differ_in_their_pixels():
    rajin = synthetic_site_image("rajin", captured_at=WHEN)
    dunai = synthetic_site_image("dunai", captured_at=WHEN)
    before = synthetic_site_image("tikhoretsk", captured_at=WHEN, count=20)
    after = synthetic_site_image("tikhoretsk", captured_at=WHEN, count=110)

    assert rajin != dunai
    assert before != after


def test_label_is_drawn_in_the_pixels():
    data = synthetic_site_image("rajin", captured_at=WHEN)

    with Image.open(io.BytesIO(data)) as img:
        banner = img.convert("RGB").crop((0, img.height - 52, img.width, img.height))
        pixels = np.asarray(banner).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    yellow = int(((r > 200) & (g > 200) & (b < 100)).sum())
    assert yellow > 200  # the yellow "SYNTHETIC DEMO IMAGE" text


def test_naive_capture_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        synthetic_site_image("rajin", captured_at=datetime(2023, 10, 14))  # noqa: DTZ001
