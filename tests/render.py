"""Render a generated document the way an office opens it: LibreOffice headless converts the DOCX
or XLSX to PDF, and the PDF is read back with pdfplumber (page sizes, words and their positions).

Tests that use it are marked ``render``; without ``soffice`` they are skipped, unless
``TRACKER_REQUIRE_RENDER=1`` (as in CI), which makes them fail instead.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

MM_PER_PT = 25.4 / 72
A4_MM = (210, 297)


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        if os.environ.get("TRACKER_REQUIRE_RENDER") == "1":
            pytest.fail("LibreOffice (soffice) is required: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def to_pdf(data: bytes, name: str, workdir: Path) -> Path:
    """Write ``data`` as ``workdir/name`` and convert it to PDF with LibreOffice headless; the PDF's path."""
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / name
    source.write_bytes(data)
    profile = workdir / "lo-profile"   # a profile of its own: no clash with another soffice running
    subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(source)], check=True, capture_output=True, timeout=180)
    pdf = source.with_suffix(".pdf")
    assert pdf.exists(), f"LibreOffice made no PDF of {name}"
    return pdf


def first_page_png(pdf: Path, out: Path, dpi: int = 60) -> Path:
    """The first page of ``pdf`` as a PNG at ``out`` (poppler's pdftoppm)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out.with_suffix(""))], check=True, capture_output=True, timeout=60)
    return out


def pages_mm(pdf: Path) -> list[tuple[float, float]]:
    """Each page's width and height in millimetres."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [(float(p.width) * MM_PER_PT, float(p.height) * MM_PER_PT) for p in doc.pages]


def text_margins_mm(pdf: Path) -> list[dict]:
    """Per page: the distance in mm from each paper edge to the nearest character printed."""
    import pdfplumber

    found = []
    with pdfplumber.open(pdf) as doc:
        for p in doc.pages:
            chars = [c for c in p.chars if c["text"].strip()]
            if not chars:
                found.append({})
                continue
            found.append({"left": min(c["x0"] for c in chars) * MM_PER_PT,
                          "right": (float(p.width) - max(c["x1"] for c in chars)) * MM_PER_PT,
                          "top": min(c["top"] for c in chars) * MM_PER_PT,
                          "bottom": (float(p.height) - max(c["bottom"] for c in chars)) * MM_PER_PT})
    return found


def page_texts(pdf: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [p.extract_text() or "" for p in doc.pages]


def words(pdf: Path) -> list[list[dict]]:
    """Per page, pdfplumber's words (text, x0, x1, top, bottom)."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [p.extract_words(keep_blank_chars=False, use_text_flow=True) for p in doc.pages]
