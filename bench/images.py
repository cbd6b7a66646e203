"""Image processing: our per-image time against bare Pillow + imagehash, same files.

Generates N 2000x2000 JPEGs (default 200) with real structure, then times, per
file, (a) ``evidence.images.services.image_analyse`` -- exactly what the Celery
task runs before it touches the database: read and SHA-256, type sniffing, pixel
cap, full decode, EXIF/GPS/capture time, sRGB display derivative and thumbnail
re-encoded from pixels, pHash, C2PA read -- and (b) the baseline: ``Image.open`` +
``thumbnail((320, 320))`` + ``imagehash.phash``. Both run over the same files in the
same process, interleaved, after a warm-up. Prints medians and the ratio.
Target (issue 3): ratio <= 1.3.

    .venv/bin/python bench/images.py [--count 200] [--size 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import _setup  # noqa: F401 - puts the project on sys.path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "provenance.settings")


def make_jpegs(folder: Path, count: int, size: int) -> list[Path]:
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(2023)
    paths = []
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for n in range(count):
        phase = rng.uniform(0, 6.28, 3)
        base = np.stack(
            [
                110 + 60 * np.sin(x / (90 + 7 * n % 50) + phase[0]),
                120 + 50 * np.cos(y / (70 + 5 * n % 40) + phase[1]),
                100 + 40 * np.sin((x + y) / 150 + phase[2]),
            ],
            axis=-1,
        )
        base += rng.normal(0, 12, base.shape)
        img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
        draw = ImageDraw.Draw(img)
        for _ in range(40):
            x0, y0 = rng.integers(0, size - 200, 2)
            w, h = rng.integers(20, 200, 2)
            draw.rectangle(
                (int(x0), int(y0), int(x0 + w), int(y0 + h)),
                fill=tuple(int(c) for c in rng.integers(0, 255, 3)),
            )
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = "2023:10:14 03:30:00"
        path = folder / f"bench-{n:04d}.jpg"
        img.save(path, "JPEG", quality=90, exif=exif)
        paths.append(path)
    return paths


def baseline(path: Path) -> str:
    import imagehash
    from PIL import Image

    with Image.open(path) as img:
        img.thumbnail((320, 320))
        return str(imagehash.phash(img))


def ours(path: Path) -> str:
    from evidence.images.services import image_analyse

    return image_analyse(path, filename=path.name).processed.phash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        paths = make_jpegs(Path(tmp), args.count, args.size)
        print(
            f"generated {len(paths)} JPEGs of {args.size}x{args.size} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for path in paths[:3]:  # warm-up: imports, codecs, C2PA library
            ours(path)
            baseline(path)
        times: dict[str, list[float]] = {"ours": [], "baseline": []}
        for path in paths:
            for name, run in (("ours", ours), ("baseline", baseline)):
                t0 = time.perf_counter()
                run(path)
                times[name].append(time.perf_counter() - t0)

    ours_ms = statistics.median(times["ours"]) * 1000
    base_ms = statistics.median(times["baseline"]) * 1000
    print(f"per image, median of {len(paths)}:")
    print(f"  ours (image_analyse, as the task) {ours_ms:8.1f} ms")
    print(f"  baseline (open+thumbnail+phash)   {base_ms:8.1f} ms")
    print(
        f"  totals: ours {sum(times['ours']):.1f} s, baseline "
        f"{sum(times['baseline']):.1f} s"
    )
    print(f"ratio ours/baseline: {ours_ms / base_ms:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
