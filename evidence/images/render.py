"""Display derivatives: sRGB pixels, resized and re-encoded with no metadata.

Pure functions with no Django imports. Derivatives are made from pixels only:
no EXIF, XMP or ICC profile is carried over, and nothing past the image's end.
"""

from __future__ import annotations

import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageCms

DerivativeFormat = Literal["JPEG", "WEBP"]


@dataclass(frozen=True, slots=True)
class Derivative:
    data: bytes
    mime: str
    width: int
    height: int


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def derivative_pool() -> ThreadPoolExecutor:
    """One encoding thread per process, made lazily: a pool inherited through fork
    (Celery's prefork workers) has no live thread and would never run a job."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="derivative")
            _pool_pid = os.getpid()
        return _pool


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(img: Image.Image, notes: list[str]) -> Image.Image:
    """RGB or L pixels in sRGB; alpha flattened on white; no metadata attached."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        out = _stretch_to_l(img)
        notes.append(f"{mode} pixels stretched to 8-bit for display")
    elif mode in ("RGB", "L"):
        out = img
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in img.info
    ):
        rgba = img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
    elif mode == "CMYK":
        out = img  # converted by the ICC profile below, or plainly after
    else:
        out = img.convert("RGB")

    icc = img.info.get("icc_profile")
    if icc and out.mode in ("RGB", "CMYK"):
        out = _apply_icc(out, icc, notes)
    if out.mode not in ("RGB", "L"):
        out = out.convert("RGB")
    # Savers take metadata from their kwargs only; clearing is belt and braces.
    # ``img`` is our private decode, so clearing it in place is safe and cheap.
    out.info.clear()
    return out


def _apply_icc(img: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile) or ""
        if img.mode == "RGB" and "srgb" in description.lower():
            return img  # already sRGB: skip a costly no-op transform
        converted = ImageCms.profileToProfile(img, profile, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        notes.append(f"embedded colour profile ignored: {exc}")
        return img
    assert converted is not None  # noqa: S101 - inPlace=False always returns
    return converted


# The display stretch for data that is not 8-bit (16-bit, float): linear between
# these percentiles of the valid pixels, all shown bands together so colours keep
# their balance. Outliers (hot pixels, sensor saturation) do not flatten the rest.
STRETCH_PERCENTILES = (0.5, 99.5)


def raster_to_image(
    bands: np.ndarray, valid: np.ndarray, notes: list[str]
) -> Image.Image:
    """An 8-bit L or RGB image from (1 or 3, h, w) bands; invalid pixels (masked,
    nodata, NaN) white, as transparent pixels are elsewhere."""
    if bands.dtype == np.uint8:
        out = bands
    else:
        # Percentiles of a strided sample (~256k pixels): the same cut-offs to
        # display precision, without copying every valid value.
        step = max(1, int((valid.size / 262_144) ** 0.5))
        sample = bands[:, ::step, ::step][:, valid[::step, ::step]]
        if sample.size:
            lo, hi = np.percentile(sample.astype(np.float64), STRETCH_PERCENTILES)
        else:
            lo, hi = 0.0, 1.0
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        # One float32 working copy, changed in place.
        work = bands.astype(np.float32)
        work -= np.float32(lo)
        work *= np.float32(scale)
        np.nan_to_num(work, copy=False, nan=0.0)
        np.clip(work, 0, 255, out=work)
        out = work.astype(np.uint8)
        del work
        notes.append(
            f"{bands.dtype} pixels stretched to 8-bit for display "
            f"({STRETCH_PERCENTILES[0]}th-{STRETCH_PERCENTILES[1]}th percentile: "
            f"{lo:.6g} to {hi:.6g})"
        )
    if not valid.all():
        out = np.where(valid, out, np.uint8(255))
        if not valid.any():
            notes.append("no valid pixels (all masked or nodata): shown white")
    if out.shape[0] == 1:
        return Image.fromarray(np.ascontiguousarray(out[0]))
    return Image.fromarray(np.ascontiguousarray(np.moveaxis(out, 0, -1)))


def _stretch_to_l(img: Image.Image) -> Image.Image:
    """Linear stretch between the 0.5th and 99.5th percentiles (satellite bands)."""
    arr = np.asarray(img, dtype=np.float32)
    sample = arr[:: max(1, arr.shape[0] // 512), :: max(1, arr.shape[1] // 512)]
    finite = sample[np.isfinite(sample)]
    lo, hi = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    out = np.nan_to_num((arr - lo) * scale, nan=0.0)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Largest size within box keeping the aspect ratio; never enlarges."""
    width, height = size
    scale = min(box[0] / width, box[1] / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` at ``size`` (itself when already that size)."""
    if img.size == size:
        return img
    # What Image.thumbnail does: a cheap integer box reduce, then bicubic on the
    # smaller image. Lanczos from full size cost twice the time for no visible gain.
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def encode(img: Image.Image, fmt: DerivativeFormat, quality: int) -> Derivative:
    """Encode pixels alone: the saver is given no EXIF, XMP or ICC to write."""
    buf = io.BytesIO()
    img.save(buf, fmt, quality=quality)
    mime = "image/jpeg" if fmt == "JPEG" else "image/webp"
    return Derivative(
        data=buf.getvalue(), mime=mime, width=img.width, height=img.height
    )
