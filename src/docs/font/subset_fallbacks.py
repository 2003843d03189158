#!/usr/bin/env python3
"""Cut the fallback fonts the PDF renderer uses after Noto Serif CJK SC.

Usage (needs fontTools: pip install fonttools; built with fontTools 4.68.0):

    python3 subset_fallbacks.py HANAMINA.ttf HANAMINB.ttf NOTOEMOJI.ttf MAIN.otf OUTDIR

Example:
    apt-get install fonts-hanazono          # 20170904-2.1
    npm pack @expo-google-fonts/noto-emoji  # 0.4.7, Noto Emoji v64
    tar xzf expo-google-fonts-noto-emoji-0.4.7.tgz
    python3 subset_fallbacks.py /usr/share/fonts/truetype/hanazono/HanaMinA.ttf \
        /usr/share/fonts/truetype/hanazono/HanaMinB.ttf \
        package/400Regular/NotoEmoji_400Regular.ttf \
        NotoSerifSC-Regular-subset.otf .

Every code point the main font (MAIN.otf) already maps is left out of the
fallbacks: the renderer asks the main font first, so those glyphs would never
be used. Private-use code points are never kept. Outputs:

    HanaMinA-fallback.ttf   Extension A, pinyin/Latin with diacritics, Greek,
                            Cyrillic, kana, bopomofo, radicals, symbols
    HanaMinB-fallback.ttf   CJK Extension B (all of it) and the CJK
                            Compatibility Ideographs Supplement
    NotoEmoji-fallback.ttf  monochrome emoji
"""
import os
import sys

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont

# Unicode ranges taken from HanaMinA (inclusive), less what the main font has.
HANA_A_RANGES = [
    (0x0100, 0x017F),  # Latin Extended-A (pinyin ā ē ī ō ū ...)
    (0x0180, 0x024F),  # Latin Extended-B (pinyin ǎ ě ǐ ǒ ǔ ǖ ǘ ǚ ǜ)
    (0x0250, 0x02AF),  # IPA Extensions (ɑ ɡ)
    (0x02B0, 0x02FF),  # Spacing Modifier Letters (ˇ ˉ ˊ ˋ ˙ tone marks)
    (0x0300, 0x036F),  # Combining Diacritical Marks
    (0x0370, 0x03FF),  # Greek and Coptic
    (0x0400, 0x052F),  # Cyrillic and Cyrillic Supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (ḿ)
    (0x2000, 0x2BFF),  # punctuation, letterlike symbols, arrows, maths, technical, dingbats
    (0x2E80, 0x2EFF),  # CJK Radicals Supplement
    (0x2F00, 0x2FDF),  # Kangxi Radicals
    (0x2FF0, 0x2FFF),  # Ideographic Description Characters
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3190, 0x31FF),  # Kanbun, Bopomofo Extended, CJK Strokes, Katakana ext.
    (0x3200, 0x33FF),  # Enclosed CJK Letters, CJK Compatibility
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs (only what the main font lacks)
    (0xA700, 0xA71F),  # Modifier Tone Letters
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFE10, 0xFE1F),  # Vertical Forms
    (0xFE30, 0xFE4F),  # CJK Compatibility Forms
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]

HANA_B_RANGES = [
    (0x20000, 0x2A6DF),  # CJK Unified Ideographs Extension B
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
]

# Emoji: everything Noto Emoji maps from U+2000 up (its digits, '#' and '*'
# are the main font's), except the joiner and variation selectors, which
# the services strip before storing.
EMOJI_RANGES = [(0x2000, 0x10FFFF)]
EMOJI_SKIP = {0x200D, 0xFE0E, 0xFE0F}

KEEP_TABLES = {"glyf", "loca", "head", "hhea", "hmtx", "maxp", "cmap", "name", "post", "OS/2"}


def is_private_use(cp):
    return 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0x10FFFF


def cut(src, out, ranges, skip, new_family):
    # Keep the source's head.modified, so the same inputs give the same bytes.
    font = TTFont(src, recalcTimestamp=False)
    cmap = font.getBestCmap()
    unicodes = sorted(
        cp
        for cp in cmap
        if any(lo <= cp <= hi for lo, hi in ranges) and cp not in skip and not is_private_use(cp)
    )
    opts = Options()
    opts.layout_features = []          # no GSUB/GPOS: the renderer does no shaping
    opts.hinting = False               # no TrueType instructions, cvt, fpgm, prep
    opts.glyph_names = False           # post format 3
    opts.notdef_outline = True
    opts.name_IDs = ["*"]              # keep copyright / licence records
    opts.name_languages = [0x0409]     # English (US) records only
    opts.drop_tables += sorted(set(font.keys()) - KEEP_TABLES - {"GlyphOrder"})
    sub = Subsetter(options=opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    for tag in list(font.keys()):
        if tag not in KEEP_TABLES and tag != "GlyphOrder":
            del font[tag]
    # A modified version: give it its own family name (OFL reserved names).
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22):
            name.removeNames(nameID=rec.nameID)
    name.setName(new_family, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(new_family + " Regular", 3, 3, 1, 0x409)
    name.setName(new_family + " Regular", 4, 3, 1, 0x409)
    name.setName(new_family.replace(" ", "") + "-Regular", 6, 3, 1, 0x409)
    font.save(out)
    print(f"{out}: {len(unicodes)} code points, {font['maxp'].numGlyphs} glyphs, {os.path.getsize(out)} bytes")


def main(hana_a, hana_b, emoji, main_font, outdir):
    have = set(TTFont(main_font, lazy=True).getBestCmap())
    cut(hana_a, os.path.join(outdir, "HanaMinA-fallback.ttf"), HANA_A_RANGES, have, "Gridsafe Hana A")
    cut(hana_b, os.path.join(outdir, "HanaMinB-fallback.ttf"), HANA_B_RANGES, have, "Gridsafe Hana B")
    cut(emoji, os.path.join(outdir, "NotoEmoji-fallback.ttf"), EMOJI_RANGES, have | EMOJI_SKIP, "Gridsafe Noto Emoji")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
