"""A Korean web font for the pages, subset to the characters the site uses.

Stakeholders' browsers may lack a Korean font (a fresh Linux, a kiosk); the pages carry
NanumGothic (the same font the charts use, from the reporting layer) as WOFF, cut down with
fontTools to the characters actually on the pages: ~100 KB instead of 4.7 MB, and no CDN.
"""

from __future__ import annotations

from pathlib import Path

import logging

from fontTools import subset

from nabiyam.infra.fonts import korean_font_files

WEIGHTS = {"nanum-regular.woff": "NanumGothic", "nanum-bold.woff": "NanumGothicBold"}
#: always included: digits, Latin letters and punctuation the templates may use later
BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "▲▼▬✔✖–—·…%‰×±≤≥→°₩「」『』"


logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "TSI* NOT subset" notes are noise


def write_subset_fonts(out_dir: Path, text: str) -> list[Path]:
    """Write ``nanum-regular.woff`` and ``nanum-bold.woff`` covering every character of ``text``."""
    files = {p.stem: p for p in korean_font_files()}
    out_dir.mkdir(parents=True, exist_ok=True)
    chars = sorted(set(text + BASE_CHARS) - {"\n", "\r", "\t"})
    written = []
    for name, stem in WEIGHTS.items():
        source = files.get(stem) or files["NanumGothic"]
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        path = out_dir / name
        subset.save_font(font, str(path), options)
        written.append(path)
    return written
