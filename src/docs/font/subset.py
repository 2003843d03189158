#!/usr/bin/env python3
"""Extract "Noto Serif CJK SC" from a Noto Serif CJK .ttc and subset it.

Usage: python3 subset.py SOURCE.ttc OUT.otf   (needs fontTools: pip install fonttools)

Example: python3 subset.py /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
             NotoSerifSC-Regular-subset.otf
"""
import sys

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTCollection

# Unicode ranges kept (inclusive).
RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x2000, 0x206F),  # General Punctuation
    (0x2100, 0x214F),  # Letterlike Symbols (℃ №)
    (0x2150, 0x218F),  # Number Forms
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators
    (0x2460, 0x24FF),  # Enclosed Alphanumerics (①)
    (0x2500, 0x257F),  # Box Drawing
    (0x25A0, 0x25FF),  # Geometric Shapes
    (0x2600, 0x26FF),  # Miscellaneous Symbols
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (〇 、。「」『』【】)
    (0x3200, 0x32FF),  # Enclosed CJK Letters and Months
    (0x3300, 0x33FF),  # CJK Compatibility (㎡ ㎞)
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFE30, 0xFE4F),  # CJK Compatibility Forms
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]

# Everything except these is dropped (layout, vertical metrics, BASE, VORG, ...).
KEEP_TABLES = {"CFF ", "OS/2", "cmap", "head", "hhea", "hmtx", "maxp", "name", "post"}


def pick_sc_face(collection):
    for font in collection.fonts:
        family = font["name"].getDebugName(1) or ""
        if family.split()[-1:] == ["SC"]:
            return font
    raise SystemExit("no face with an 'SC' family name in the collection")


def main(src, out):
    font = pick_sc_face(TTCollection(src))
    unicodes = [cp for lo, hi in RANGES for cp in range(lo, hi + 1)]

    opts = Options()
    opts.layout_features = []          # no GSUB/GPOS features
    opts.hinting = False               # --no-hinting
    opts.desubroutinize = False        # keeping subroutines gives a smaller CFF
    opts.glyph_names = False           # post format 3, no glyph names
    opts.notdef_outline = True
    opts.name_IDs = ["*"]              # keep copyright / licence name records
    opts.name_languages = [0x0409]     # English (US) records only
    opts.drop_tables += sorted(set(font.keys()) - KEEP_TABLES - {"GlyphOrder"})

    sub = Subsetter(options=opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    for tag in list(font.keys()):
        if tag not in KEEP_TABLES and tag != "GlyphOrder":
            del font[tag]
    font.save(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
