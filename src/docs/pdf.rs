//! The document machinery every PDF shares: the shipped fonts (a CJK serif
//! face first, then fallbacks for rare ideographs, pinyin and emoji, chosen
//! character by character, checked, and subset into each file), Chinese line
//! breaking, a page cursor that breaks pages, tables whose header repeats on
//! every page, and footers with page numbers. Coordinates are millimetres from
//! the page's top-left corner; only this module knows that PDF counts from
//! the bottom.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, ImageCompression, ImageOptimizationOptions, Line, LinePoint, Mm, Op, PaintMode, ParsedFont,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, RawImage, RawImageData,
    RawImageFormat, Rgb, TextItem, WindingOrder, XObjectId, XObjectTransform,
};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Noto Serif CJK SC, cut to the ranges listed in `font/README.md` (OFL, `font/OFL.txt`).
static SERIF_BYTES: &[u8] = include_bytes!("font/NotoSerifSC-Regular-subset.otf");
/// HanaMinA cut to Extension A, pinyin and other Latin with diacritics, and
/// symbols the serif face lacks (`font/subset_fallbacks.py`, `font/HANAZONO-LICENSE.txt`).
static HAN_A_BYTES: &[u8] = include_bytes!("font/HanaMinA-fallback.ttf");
/// HanaMinB cut to CJK Extension B (`font/subset_fallbacks.py`).
static HAN_B_BYTES: &[u8] = include_bytes!("font/HanaMinB-fallback.ttf");
/// Noto Emoji (monochrome), without what the serif face has (OFL, `font/OFL-NotoEmoji.txt`).
static EMOJI_BYTES: &[u8] = include_bytes!("font/NotoEmoji-fallback.ttf");

/// A4 width in mm.
pub const PAGE_W: f32 = 210.0;
/// A4 height in mm.
pub const PAGE_H: f32 = 297.0;
/// Left and right margin.
pub const MARGIN_X: f32 = 20.0;
/// Top margin.
pub const MARGIN_TOP: f32 = 18.0;
/// Bottom of the writable area; the footer lives below it.
pub const BODY_BOTTOM: f32 = PAGE_H - 20.0;
/// Width between the margins.
pub const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const PT_PER_MM: f32 = 72.0 / 25.4;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.45;

/// Characters that must not begin a line (禁则: closing punctuation).
pub const NO_LINE_START: &str = "，。、；：？！）」』》〉】〕］｝”’…—·％,.;:?!)]}%";
/// Characters that must not end a line (opening punctuation).
pub const NO_LINE_END: &str = "（「『《〈【〔［｛“‘([{";

/// The shipped faces, in the order a character is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Noto Serif CJK SC: the text face.
    Serif,
    /// HanaMinA: CJK Extension A, pinyin with tone marks, symbols.
    HanA,
    /// HanaMinB: CJK Extension B.
    HanB,
    /// Noto Emoji, monochrome.
    Emoji,
}

impl Face {
    /// Every face, main face first.
    pub const ALL: [Self; 4] = [Self::Serif, Self::HanA, Self::HanB, Self::Emoji];

    fn index(self) -> usize {
        self as usize
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Serif => SERIF_BYTES,
            Self::HanA => HAN_A_BYTES,
            Self::HanB => HAN_B_BYTES,
            Self::Emoji => EMOJI_BYTES,
        }
    }

    /// The face's character map and advances (cheap: tables are read in place).
    fn metrics(self) -> &'static Metrics {
        static METRICS: [OnceLock<Metrics>; 4] = [const { OnceLock::new() }; 4];
        METRICS[self.index()].get_or_init(|| {
            let face = ttf_parser::Face::parse(self.bytes(), 0).expect("the shipped fonts parse");
            let units_per_em = f32::from(face.units_per_em().max(1));
            Metrics { face, units_per_em }
        })
    }

    /// The face as printpdf embeds it, parsed on first use by a document.
    fn parsed(self) -> &'static ParsedFont {
        static PARSED: [OnceLock<ParsedFont>; 4] = [const { OnceLock::new() }; 4];
        PARSED[self.index()]
            .get_or_init(|| ParsedFont::from_bytes(self.bytes(), 0, &mut Vec::new()).expect("the shipped fonts parse"))
    }

    /// Advance of `c` in ems, or `None` when this face has no glyph for it.
    fn advance(self, c: char) -> Option<f32> {
        let m = self.metrics();
        let glyph = m.face.glyph_index(c).filter(|g| g.0 != 0)?;
        Some(f32::from(m.face.glyph_hor_advance(glyph).unwrap_or(0)) / m.units_per_em)
    }
}

struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
}

/// The face that prints `c`: the first of [`Face::ALL`] with a glyph for it.
pub fn face_for(c: char) -> Option<Face> {
    Face::ALL.into_iter().find(|f| f.advance(c).is_some())
}

/// Whether `c` needs no glyph: line breaks, tabs and the plain space.
fn needs_no_glyph(c: char) -> bool {
    c.is_control() || c == ' '
}

/// Advance of `c` in ems in the face that prints it (a character no face
/// has counts as one em).
fn advance(c: char) -> f32 {
    if is_invisible_modifier(c) {
        return 0.0;
    }
    Face::ALL.into_iter().find_map(|f| f.advance(c)).unwrap_or(1.0)
}

/// Width of `text` in mm at `size` pt, each character in the face that prints it.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(advance).sum::<f32>() * size / PT_PER_MM
}

/// The characters of `text` no shipped face can draw, each once. A missing
/// glyph prints as nothing at all, so input is checked with this where it
/// is typed and every document again before it is written.
pub fn unprintable(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if !needs_no_glyph(c) && !out.contains(&c) && face_for(c).is_none() {
            out.push(c);
        }
    }
    out
}

/// Whether `c` is an invisible selector or joiner that only shapes the
/// character before it: variation selectors (emoji or text presentation,
/// ideographic variants), zero-width (non-)joiners and spaces, word joiner,
/// byte-order mark, and the tag characters of subdivision flags. The
/// documents do no shaping, so these would print as nothing or as a box.
fn is_invisible_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Typed text as it should be stored so that it prints: composed (NFC, so
/// a vowel typed with a combining tone mark becomes one letter like ǎ), with
/// invisible selectors and joiners removed (an emoji sequence prints as its
/// parts, one after another).
pub fn normalise(text: &str) -> String {
    text.nfc().filter(|c| !is_invisible_modifier(*c)).collect()
}

/// A run of text printed in one face.
fn runs(text: &str) -> Vec<(Face, String)> {
    let mut out: Vec<(Face, String)> = Vec::new();
    for c in text.chars() {
        let face = if needs_no_glyph(c) { None } else { face_for(c) };
        match (out.last_mut(), face) {
            (Some((f, run)), Some(face)) if *f == face => run.push(c),
            (Some((_, run)), None) => run.push(c),
            (_, face) => out.push((face.unwrap_or(Face::Serif), c.to_string())),
        }
    }
    out
}

/// Splits `text` into lines no wider than `width` mm at `size` pt. Breaks
/// anywhere between Chinese characters, keeps a Latin word or number whole
/// when it fits on a line, never starts a line with closing punctuation or
/// ends one with opening punctuation, and keeps the text's own line breaks.
pub fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line: Vec<char> = Vec::new();
        let mut used = 0.0_f32;
        for token in tokens(paragraph) {
            let w = text_width(&token.iter().collect::<String>(), size);
            if used + w <= width || line.is_empty() && w <= width {
                line.extend(&token);
                used += w;
                continue;
            }
            if line.is_empty() {
                // A word longer than a line: break it by character.
                for c in token {
                    let cw = text_width(c.encode_utf8(&mut [0; 4]), size);
                    if used + cw > width && !line.is_empty() {
                        lines.push(line.drain(..).collect());
                        used = 0.0;
                    }
                    line.push(c);
                    used += cw;
                }
                continue;
            }
            let mut carry = pull_back(&mut line, &token);
            if carry.is_empty() && token.first().is_some_and(|c| NO_LINE_START.contains(*c)) {
                // Nothing can move down: the punctuation hangs past the margin.
                line.extend(&token);
                used += w;
                continue;
            }
            lines.push(line.drain(..).collect());
            carry.extend(&token);
            used = text_width(&carry.iter().collect::<String>(), size);
            line = carry;
        }
        lines.push(line.into_iter().collect());
    }
    lines
}

/// The characters to move from the end of `line` to the next line so that
/// neither line breaks a punctuation rule; empty when the line must keep all
/// (a lone character hangs its punctuation instead).
fn pull_back(line: &mut Vec<char>, next: &[char]) -> Vec<char> {
    let starts_bad = |c: Option<&char>| c.is_some_and(|c| NO_LINE_START.contains(*c));
    let mut carry = Vec::new();
    if starts_bad(next.first()) {
        // Move the character the punctuation belongs to (and any punctuation before it).
        while let Some(c) = line.pop() {
            carry.insert(0, c);
            if !NO_LINE_START.contains(c) {
                // A Latin word moves whole.
                while is_letter_or_digit(c) && line.last().is_some_and(|p| is_word_char(*p)) {
                    carry.insert(0, line.pop().unwrap_or_default());
                }
                break;
            }
        }
    }
    while line.last().is_some_and(|c| NO_LINE_END.contains(*c)) {
        carry.insert(0, line.pop().unwrap_or_default());
    }
    if line.is_empty() {
        line.append(&mut carry);
    }
    carry
}

fn is_word_char(c: char) -> bool {
    is_letter_or_digit(c) || matches!(c, '-' | '_' | '.' | '/')
}

/// An ASCII letter or digit, or an alphabetic letter of the scripts before
/// CJK (Latin with diacritics such as pinyin ǎ, Greek, Cyrillic): what makes
/// up a word that should not break across lines.
fn is_letter_or_digit(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_alphabetic() && u32::from(c) < 0x2E80)
}

/// Break units: a run of Latin letters and digits, or any other single character.
fn tokens(text: &str) -> Vec<Vec<char>> {
    let mut out: Vec<Vec<char>> = Vec::new();
    let mut word = false;
    for c in text.chars() {
        let is_word = is_letter_or_digit(c) || (word && matches!(c, '-' | '_' | '.' | '/'));
        match out.last_mut() {
            Some(last) if is_word && word => last.push(c),
            _ => out.push(vec![c]),
        }
        word = is_word;
    }
    out
}

/// An RGB colour from 0–255 components.
pub const fn rgb(r: u8, g: u8, b: u8) -> [u8; 3] {
    [r, g, b]
}

fn color(c: [u8; 3]) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(c[0]) / 255.0,
        g: f32::from(c[1]) / 255.0,
        b: f32::from(c[2]) / 255.0,
        icc_profile: None,
    })
}

/// Black.
pub const BLACK: [u8; 3] = rgb(0, 0, 0);
/// The red of an official letterhead.
pub const RED: [u8; 3] = rgb(200, 16, 30);
/// Grey for rules and secondary text.
pub const GREY: [u8; 3] = rgb(110, 110, 110);

/// A rectangle on the page in mm: top-left corner, width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// A finished PDF.
#[derive(Debug, Clone)]
pub struct Pdf {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its page count.
    pub pages: usize,
}

/// A registered image and its pixel size.
#[derive(Debug, Clone)]
pub struct Image {
    id: XObjectId,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

/// Horizontal alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush left.
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// A table column: header and width in mm.
#[derive(Debug, Clone)]
pub struct Column {
    /// Header text.
    pub title: String,
    /// Width in mm.
    pub width: f32,
}

/// A table cell: text, or an image drawn at the cell's width.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Wrapped text.
    Text(String),
    /// Images stacked in the cell, each at most this many mm tall.
    Images(Vec<Image>, f32),
}

/// A document being laid out: pages of drawing operations and a cursor.
pub struct Doc {
    pdf: PdfDocument,
    /// Each face's id in this document, added when first used.
    fonts: [Option<FontId>; 4],
    pages: Vec<Vec<Op>>,
    /// The page being drawn on (the last one, except while footers are drawn).
    current: usize,
    /// The cursor: mm from the top of the current page.
    pub y: f32,
    text_seen: String,
}

impl Doc {
    /// A new document with one empty page. `title` and `author` go into the
    /// document information, with `created_unix_s` (the issue time) as its
    /// creation and modification date, so a file's properties say what it is
    /// and when it was issued.
    pub fn new(title: &str, author: &str, created_unix_s: i64) -> Self {
        let mut pdf = PdfDocument::new(title);
        let info = &mut pdf.metadata.info;
        if let Ok(at) = printpdf::OffsetDateTime::from_unix_timestamp(created_unix_s) {
            (info.creation_date, info.modification_date, info.metadata_date) = (at, at, at);
        }
        author.clone_into(&mut info.author);
        "gridsafe".clone_into(&mut info.creator);
        Self {
            pdf,
            fonts: [const { None }; 4],
            pages: vec![Vec::new()],
            current: 0,
            y: MARGIN_TOP,
            text_seen: String::new(),
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages[self.current]
    }

    /// Number of pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Starts a new page and puts the cursor at its top.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
        self.y = MARGIN_TOP;
    }

    /// Makes sure `height` mm fit below the cursor, starting a page if not.
    /// Returns whether a page was started.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
            return true;
        }
        false
    }

    /// Draws one line of text with its top at `top` (mm from the page top).
    pub fn text(&mut self, x: f32, top: f32, size: f32, text: &str, col: [u8; 3], align: Align) {
        if text.is_empty() {
            return;
        }
        // Text stored before input was normalised may still carry selectors.
        let text = &normalise(text);
        self.text_seen.push_str(text);
        let w = text_width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x - w / 2.0,
            Align::Right => x - w,
        };
        // The baseline sits about 0.88 em below the line's top for the serif
        // face; the fallbacks share it. Each run's font advances the cursor.
        let baseline = top + size * 0.88 / PT_PER_MM;
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetFillColor { col: color(col) },
            Op::SetTextCursor { pos: point(x, baseline) },
        ];
        for (face, run) in runs(text) {
            let font = self.font_id(face);
            ops.push(Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) });
            ops.push(Op::ShowText { items: vec![TextItem::Text(run)] });
        }
        ops.push(Op::EndTextSection);
        self.ops().extend(ops);
    }

    /// The document's id of `face`, adding the face on first use so a file
    /// embeds only the faces it prints with.
    fn font_id(&mut self, face: Face) -> FontId {
        if let Some(id) = &self.fonts[face.index()] {
            return id.clone();
        }
        let id = self.pdf.add_font(face.parsed());
        self.fonts[face.index()] = Some(id.clone());
        id
    }

    /// Line height in mm of text at `size` pt.
    pub fn line_height(size: f32) -> f32 {
        size * LEADING / PT_PER_MM
    }

    /// Writes wrapped text from the cursor across `width` mm at `x`, breaking
    /// pages as needed, and moves the cursor below it.
    pub fn paragraph(&mut self, x: f32, width: f32, size: f32, text: &str) {
        let lh = Self::line_height(size);
        for line in wrap(text, width, size) {
            self.ensure(lh);
            let y = self.y;
            self.text(x, y, size, &line, BLACK, Align::Left);
            self.y += lh;
        }
    }

    /// A straight line between two points, `width` pt thick.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, col: [u8; 3]) {
        self.polyline(&[from, to], width, col);
    }

    /// An open polyline.
    pub fn polyline(&mut self, points: &[(f32, f32)], width: f32, col: [u8; 3]) {
        if points.len() < 2 {
            return;
        }
        let line = Line { points: points.iter().map(|p| line_point(p.0, p.1)).collect(), is_closed: false };
        self.ops().extend([
            Op::SetOutlineColor { col: color(col) },
            Op::SetOutlineThickness { pt: Pt(width) },
            Op::DrawLine { line },
        ]);
    }

    /// A polygon of one or more rings, filled and/or outlined.
    pub fn polygon(&mut self, rings: &[Vec<(f32, f32)>], fill: Option<[u8; 3]>, stroke: Option<([u8; 3], f32)>) {
        let rings: Vec<PolygonRing> = rings
            .iter()
            .filter(|r| r.len() >= 3)
            .map(|r| PolygonRing { points: r.iter().map(|p| line_point(p.0, p.1)).collect() })
            .collect();
        if rings.is_empty() {
            return;
        }
        let mode = match (fill, stroke) {
            (Some(_), Some(_)) => PaintMode::FillStroke,
            (Some(_), None) => PaintMode::Fill,
            _ => PaintMode::Stroke,
        };
        let mut ops = Vec::new();
        if let Some(f) = fill {
            ops.push(Op::SetFillColor { col: color(f) });
        }
        if let Some((c, w)) = stroke {
            ops.push(Op::SetOutlineColor { col: color(c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(w) });
        }
        ops.push(Op::DrawPolygon { polygon: Polygon { rings, mode, winding_order: WindingOrder::EvenOdd } });
        self.ops().extend(ops);
    }

    /// A rectangle outline (or fill) with its top-left corner at (x, y).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Option<[u8; 3]>, stroke: Option<([u8; 3], f32)>) {
        self.polygon(&[vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h)]], fill, stroke);
    }

    /// Restricts drawing to a rectangle until [`Doc::unclip`].
    pub fn clip(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let ring = PolygonRing {
            points: [(x, y), (x + w, y), (x + w, y + h), (x, y + h)].iter().map(|p| line_point(p.0, p.1)).collect(),
        };
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::DrawPolygon {
                polygon: Polygon { rings: vec![ring], mode: PaintMode::Clip, winding_order: WindingOrder::NonZero },
            },
        ]);
    }

    /// Ends the clip started by [`Doc::clip`].
    pub fn unclip(&mut self) {
        self.ops().push(Op::RestoreGraphicsState);
    }

    /// Registers a JPEG or PNG (decoded and flattened to RGB).
    pub fn add_photo(&mut self, bytes: &[u8]) -> Result<Image> {
        let decoded = image::load_from_memory(bytes)
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored photo does not decode: {e}")))?
            .to_rgb8();
        let (width, height) = (decoded.width() as usize, decoded.height() as usize);
        Ok(self.add_raw(decoded.into_raw(), width, height, RawImageFormat::RGB8))
    }

    /// Registers a greyscale image (one byte per pixel, row by row).
    pub fn add_grey(&mut self, pixels: Vec<u8>, width: usize, height: usize) -> Image {
        self.add_raw(pixels, width, height, RawImageFormat::R8)
    }

    fn add_raw(&mut self, pixels: Vec<u8>, width: usize, height: usize, data_format: RawImageFormat) -> Image {
        let raw = RawImage { pixels: RawImageData::U8(pixels), width, height, data_format, tag: Vec::new() };
        Image { id: self.pdf.add_image(&raw), width, height }
    }

    /// Draws a QR code of `payload` as a `side` mm square at (x, y). It is an
    /// image of one pixel per module with a four-module quiet zone, so any
    /// phone reads it and a test can decode it from the file.
    pub fn qr(&mut self, payload: &str, x: f32, y: f32, side: f32) -> Result<()> {
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| Error::Internal(anyhow::anyhow!("QR code for {payload:?}: {e}")))?;
        let (n, quiet) = (code.width(), 4);
        let side_px = n + 2 * quiet;
        let mut pixels = vec![255_u8; side_px * side_px];
        for (i, module) in code.to_colors().into_iter().enumerate() {
            if module == qrcode::Color::Dark {
                pixels[(i / n + quiet) * side_px + i % n + quiet] = 0;
            }
        }
        let img = self.add_grey(pixels, side_px, side_px);
        self.image(&img, x, y, side, side);
        Ok(())
    }

    /// Draws a registered image into the box (x, y, w, h), keeping its aspect
    /// ratio and centring it; returns the height used.
    pub fn image(&mut self, img: &Image, x: f32, y: f32, w: f32, h: f32) -> f32 {
        let (iw, ih) = (img.width.max(1) as f32, img.height.max(1) as f32);
        let scale = (w / iw).min(h / ih);
        let (dw, dh) = (iw * scale, ih * scale);
        let (dx, dy) = (x + (w - dw) / 2.0, y);
        // At 72 dpi one pixel is one point, so the scale is points per pixel.
        let transform = XObjectTransform {
            translate_x: Some(Pt(dx * PT_PER_MM)),
            translate_y: Some(Pt((PAGE_H - dy - dh) * PT_PER_MM)),
            scale_x: Some(dw * PT_PER_MM / iw),
            scale_y: Some(dh * PT_PER_MM / ih),
            dpi: Some(72.0),
            ..XObjectTransform::default()
        };
        let id = img.id.clone();
        self.ops().push(Op::UseXobject { id, transform });
        dh
    }

    /// Draws a table from the cursor: a shaded header row, then the rows. A
    /// row that does not fit continues on the next page, where the header is
    /// drawn again; a row taller than a page is split between its lines.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<Cell>], size: f32) {
        const PAD: f32 = 1.2;
        let lh = Self::line_height(size);
        self.table_header(columns, size);
        for row in rows {
            // Each cell's remaining content: wrapped lines, or images with their height.
            let mut texts: Vec<Vec<String>> = Vec::new();
            let mut image_h = 0.0_f32;
            for (cell, col) in row.iter().zip(columns) {
                match cell {
                    Cell::Text(t) => texts.push(wrap(t, col.width - 2.0 * PAD, size)),
                    Cell::Images(images, max_h) => {
                        texts.push(Vec::new());
                        let each: f32 = images
                            .iter()
                            .map(|i| {
                                let s = ((col.width - 2.0 * PAD) / i.width.max(1) as f32)
                                    .min(*max_h / i.height.max(1) as f32);
                                i.height as f32 * s + PAD
                            })
                            .sum();
                        image_h = image_h.max(each);
                    }
                }
            }
            let mut images_pending = image_h > 0.0;
            loop {
                let remaining_lines = texts.iter().map(Vec::len).max().unwrap_or(0);
                let want = (remaining_lines as f32 * lh).max(if images_pending { image_h } else { 0.0 }) + 2.0 * PAD;
                let room = BODY_BOTTOM - self.y;
                // Start the row on a new page unless at least a few lines (and its images) fit here.
                let min_fit =
                    (lh * 3.0 + 2.0 * PAD).min(want).max(if images_pending { image_h + 2.0 * PAD } else { 0.0 });
                if room < min_fit {
                    self.new_page();
                    self.table_header(columns, size);
                    continue;
                }
                let fit_lines = (((room - 2.0 * PAD) / lh).floor() as usize).min(remaining_lines);
                let height = if want <= room { want } else { fit_lines as f32 * lh + 2.0 * PAD };
                let top = self.y;
                let mut x = MARGIN_X;
                for ((cell, col), lines) in row.iter().zip(columns).zip(texts.iter_mut()) {
                    if let Cell::Images(images, max_h) = cell
                        && images_pending
                    {
                        let mut iy = top + PAD;
                        for img in images {
                            iy += self.image(img, x + PAD, iy, col.width - 2.0 * PAD, *max_h) + PAD;
                        }
                    }
                    let take = fit_lines.min(lines.len());
                    for (i, line) in lines.drain(..take).enumerate() {
                        self.text(x + PAD, top + PAD + i as f32 * lh, size, &line, BLACK, Align::Left);
                    }
                    self.rect(x, top, col.width, height, None, Some((BLACK, 0.5)));
                    x += col.width;
                }
                images_pending = false;
                self.y = top + height;
                if texts.iter().all(Vec::is_empty) {
                    break;
                }
                self.new_page();
                self.table_header(columns, size);
            }
        }
    }

    fn table_header(&mut self, columns: &[Column], size: f32) {
        let lh = Self::line_height(size);
        let wrapped: Vec<Vec<String>> = columns.iter().map(|c| wrap(&c.title, c.width - 2.0, size)).collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.4;
        self.ensure(height + lh * 3.0);
        let (top, mut x) = (self.y, MARGIN_X);
        for (col, lines) in columns.iter().zip(wrapped) {
            self.rect(x, top, col.width, height, Some(rgb(232, 232, 232)), Some((BLACK, 0.5)));
            for (i, line) in lines.iter().enumerate() {
                self.text(x + col.width / 2.0, top + 1.2 + i as f32 * lh, size, line, BLACK, Align::Center);
            }
            x += col.width;
        }
        self.y = top + height;
    }

    /// Rows of label–value pairs (one or more pairs a row, sharing the
    /// width evenly; labels shaded and `label_w` mm wide), values wrapped.
    pub fn fields(&mut self, rows: &[&[(&str, String)]], label_w: f32, size: f32) {
        const PAD: f32 = 1.1;
        let lh = Self::line_height(size);
        for row in rows {
            let pair_w = BODY_W / row.len().max(1) as f32;
            let value_w = pair_w - label_w;
            let wrapped: Vec<Vec<String>> = row.iter().map(|(_, v)| wrap(v, value_w - 2.0 * PAD, size)).collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lh + 2.0 * PAD;
            self.ensure(height);
            let top = self.y;
            for (i, ((label, _), lines)) in row.iter().zip(&wrapped).enumerate() {
                let x = MARGIN_X + i as f32 * pair_w;
                self.rect(x, top, label_w, height, Some(rgb(242, 242, 242)), Some((BLACK, 0.5)));
                self.rect(x + label_w, top, value_w, height, None, Some((BLACK, 0.5)));
                self.text(x + PAD, top + PAD, size, label, BLACK, Align::Left);
                for (k, line) in lines.iter().enumerate() {
                    self.text(x + label_w + PAD, top + PAD + k as f32 * lh, size, line, BLACK, Align::Left);
                }
            }
            self.y = top + height;
        }
    }

    /// Finishes the document: a footer on every page (`footer` on the left,
    /// 第 i 页 共 n 页 on the right), every character checked against the font,
    /// and the bytes with the font subset into them.
    pub fn finish(mut self, footer: &str) -> Result<Pdf> {
        let total = self.pages.len();
        let footer_lines = wrap(footer, BODY_W - 30.0, 7.0);
        for i in 0..total {
            self.current = i;
            let page_no = format!("第 {} 页 共 {total} 页", i + 1);
            let y = BODY_BOTTOM + 4.0;
            self.line((MARGIN_X, y - 1.5), (PAGE_W - MARGIN_X, y - 1.5), 0.4, GREY);
            for (k, line) in footer_lines.iter().enumerate() {
                self.text(MARGIN_X, y + k as f32 * Self::line_height(7.0), 7.0, line, GREY, Align::Left);
            }
            self.text(PAGE_W - MARGIN_X, y, 8.0, &page_no, GREY, Align::Right);
        }
        let missing = unprintable(&self.text_seen);
        if !missing.is_empty() {
            let chars: String = missing.iter().collect();
            return Err(Error::invalid(
                "document",
                format!("文书字体缺少以下字符，无法生成：{chars}"),
                format!("the document font lacks these characters: {chars}"),
            ));
        }
        let pages: Vec<PdfPage> = self.pages.into_iter().map(|ops| PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops)).collect();
        let options = PdfSaveOptions {
            optimize: true,
            subset_fonts: true,
            secure: true,
            image_optimization: Some(ImageOptimizationOptions {
                quality: Some(0.8),
                max_image_size: None,
                dither_greyscale: Some(false),
                convert_to_greyscale: Some(false),
                auto_optimize: Some(false),
                format: Some(ImageCompression::Auto),
            }),
        };
        let bytes = self.pdf.with_pages(pages).save(&options, &mut Vec::new());
        Ok(Pdf { bytes, pages: total })
    }
}

fn point(x: f32, top: f32) -> Point {
    Point { x: Pt(x * PT_PER_MM), y: Pt((PAGE_H - top) * PT_PER_MM) }
}

fn line_point(x: f32, top: f32) -> LinePoint {
    LinePoint { p: point(x, top), bezier: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_serif_face_draws_the_towns_names_and_rare_date_characters() {
        for c in "谭坊镇弥河洗耳河尧河猪龙河二〇二六年①℃㎡ABC123，。".chars().filter(|c| *c != ' ')
        {
            assert_eq!(face_for(c), Some(Face::Serif), "{c}");
        }
    }

    #[test]
    fn each_character_goes_to_the_first_face_that_has_it() {
        assert_eq!(face_for('䶮'), Some(Face::HanA), "Extension A");
        assert_eq!(face_for('ǎ'), Some(Face::HanA), "pinyin with a tone mark");
        assert_eq!(face_for('ǜ'), Some(Face::HanA));
        assert_eq!(face_for('𠮷'), Some(Face::HanB), "Extension B");
        assert_eq!(face_for('😱'), Some(Face::Emoji));
        assert_eq!(face_for('🔥'), Some(Face::Emoji));
        // Characters the serif face has never fall through to a fallback.
        assert_eq!(face_for('吉'), Some(Face::Serif));
        assert_eq!(face_for('ü'), Some(Face::Serif));
        assert_eq!(face_for('\u{E000}'), None, "private use");
        assert_eq!(face_for('\u{0378}'), None, "unassigned");
    }

    #[test]
    fn runs_split_where_the_face_changes_and_spaces_stay_in_the_run() {
        let runs = runs("带电😱 部位𠮷䶮ǎ");
        let faces: Vec<Face> = runs.iter().map(|(f, _)| *f).collect();
        assert_eq!(faces, [Face::Serif, Face::Emoji, Face::Serif, Face::HanB, Face::HanA]);
        assert_eq!(runs.iter().map(|(_, r)| r.as_str()).collect::<String>(), "带电😱 部位𠮷䶮ǎ");
        assert_eq!(runs[1].1, "😱 ");
    }

    #[test]
    fn unprintable_names_each_character_no_face_has_once() {
        assert!(unprintable("带电部位外露😱，𠮷、䶮、lǚ ǎ\n").is_empty());
        assert_eq!(unprintable("a\u{E000}b\u{0378}\u{E000}"), vec!['\u{E000}', '\u{0378}']);
    }

    #[test]
    fn normalising_composes_tone_marks_and_drops_selectors_and_joiners() {
        assert_eq!(normalise("带电部位外露😱\u{FE0F}"), "带电部位外露😱");
        assert_eq!(normalise("\u{2764}\u{FE0E}"), "\u{2764}");
        assert_eq!(normalise("la\u{030C}n"), "lǎn");
        assert_eq!(normalise("👨\u{200D}👩\u{200D}👧"), "👨👩👧");
        assert_eq!(normalise("葛\u{E0100}"), "葛");
        assert!(unprintable(&normalise("👍🏻👨\u{200D}🚒 1\u{FE0F}\u{20E3}")).is_empty());
    }

    #[test]
    fn a_document_with_rare_characters_embeds_only_the_faces_it_uses() {
        let faces = |text: &str| {
            let mut doc = Doc::new("t", "a", 0);
            doc.paragraph(MARGIN_X, BODY_W, 10.0, text);
            let pdf = doc.finish("页脚").expect("prints");
            let doc = lopdf::Document::load_mem(&pdf.bytes).expect("parses");
            doc.objects
                .values()
                .filter_map(|o| o.as_dict().ok())
                .filter(|d| d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor".as_slice()))
                .count()
        };
        assert_eq!(faces("带电部位外露😱 𠮷 䶮 ǎ"), 4);
        assert_eq!(faces("只有常用字"), 1);
    }

    #[test]
    fn a_line_never_starts_with_closing_punctuation() {
        let text = "经检查，你单位存在下列隐患。请于期限内整改，并书面报告。";
        for width in [10.0, 12.0, 15.0, 20.0, 23.0, 31.0] {
            let lines = wrap(text, width, 10.0);
            assert_eq!(lines.concat(), text);
            for line in &lines[1..] {
                let first = line.chars().next().expect("no empty lines");
                assert!(!NO_LINE_START.contains(first), "{width} mm: line starts with {first}: {lines:?}");
            }
        }
    }

    #[test]
    fn latin_words_stay_whole_when_they_fit() {
        let lines = wrap("编号 TF-2026-000123 已登记", 30.0, 10.0);
        assert!(lines.iter().any(|l| l.contains("TF-2026-000123")), "{lines:?}");
        // Punctuation after a word that just fits takes the whole word (and its bracket) down.
        let lines = wrap("谭坊镇 / 推官社区 / 西齐（TF0605）", 51.8, 9.5);
        assert_eq!(lines, ["谭坊镇 / 推官社区 / 西齐", "（TF0605）"]);
        // Pinyin with tone marks is a word like any other.
        for width in (36..80).map(|w| w as f32 / 2.0) {
            let lines = wrap("吉师傅说：xiǎn zhéng 危险", width, 10.0);
            assert!(lines.iter().any(|l| l.contains("xiǎn")), "{width} mm: {lines:?}");
        }
    }

    proptest! {
        #[test]
        fn wrapping_keeps_every_character_and_the_punctuation_rules(
            chars in proptest::collection::vec(prop::sample::select(vec!['隐', '患', '整', '改', '，', '。', '、', '）', '（', '」', '「', 'A', '1', ' ']), 1..120),
            width in 6.0_f32..80.0,
        ) {
            let text: String = chars.into_iter().collect();
            let lines = wrap(&text, width, 9.0);
            prop_assert_eq!(lines.concat(), text.clone());
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    let first = line.chars().next();
                    prop_assert!(first.is_none_or(|c| !NO_LINE_START.contains(c)), "{:?}", lines);
                }
                if i + 1 < lines.len() {
                    let last = line.chars().last();
                    let next_first = lines[i + 1].chars().next();
                    // Only a line made of nothing but opening brackets may end on one.
                    let all_open = line.chars().all(|c| NO_LINE_END.contains(c));
                    prop_assert!(last.is_none_or(|c| !NO_LINE_END.contains(c)) || all_open || next_first.is_none(), "{:?}", lines);
                }
            }
        }
    }
}
