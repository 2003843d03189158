//! The small maps printed on documents: for a notice, the village grid
//! shaded, its neighbours outlined and named for context, rivers in blue with
//! the nearby reach drawn heavier and the numbered hazard points; for a patrol
//! log, a river's reaches with the patrol track drawn over them. Both carry a
//! north arrow and a scale bar and are clipped to their frame.

use geo::{BoundingRect, Coord, InteriorPoint, Intersects, LineString, Rect};

use super::pdf::{Align, Area, BLACK, Doc, GREY, RED, rgb};
use crate::spatial::Maps;
use crate::spatial::features::GridFeature;
use crate::spatial::reach::Reach;

/// What to draw: the village, the points (lon, lat) and the reach to stress.
#[derive(Debug, Clone)]
pub struct MapSpec<'a> {
    /// Village grid code at the centre.
    pub grid: &'a str,
    /// Hazard points, labelled 1, 2, ... in order.
    pub points: Vec<(f64, f64)>,
    /// Reach codes to draw heavier.
    pub reaches: Vec<String>,
}

const WATER: [u8; 3] = rgb(40, 110, 200);

/// Draws the map in `area`.
pub fn draw(doc: &mut Doc, maps: &Maps, spec: &MapSpec<'_>, area: Area) {
    let Area { x, y, w, h } = area;
    doc.rect(x, y, w, h, Some(rgb(250, 250, 246)), None);
    let Some(village) = maps.grid(spec.grid) else {
        doc.rect(x, y, w, h, None, Some((BLACK, 0.6)));
        return;
    };
    let Some(mut bounds) = village.shape.bounding_rect() else { return };
    for &(lon, lat) in &spec.points {
        bounds = Rect::new(
            Coord { x: bounds.min().x.min(lon), y: bounds.min().y.min(lat) },
            Coord { x: bounds.max().x.max(lon), y: bounds.max().y.max(lat) },
        );
    }
    let view = View::fit(bounds, area);
    let frame = view.frame();
    doc.clip(x, y, w, h);
    // Neighbours: every village whose box meets the frame, outlined and named.
    for other in maps.villages().filter(|g| g.grid.code != village.grid.code) {
        if !other.shape.bounding_rect().is_some_and(|b| b.intersects(&frame)) {
            continue;
        }
        let rings: Vec<Vec<(f32, f32)>> = other.shape.iter().map(|p| view.ring(p.exterior())).collect();
        doc.polygon(&rings, None, Some((rgb(170, 170, 170), 0.4)));
    }
    let rings: Vec<Vec<(f32, f32)>> = village.shape.iter().map(|p| view.ring(p.exterior())).collect();
    doc.polygon(&rings, Some(rgb(255, 243, 205)), Some((rgb(190, 120, 20), 1.2)));
    for river in maps.rivers() {
        for part in &river.line {
            doc.polyline(&view.ring(part), 1.4, WATER);
        }
    }
    for reach in maps.reaches().iter().filter(|r| spec.reaches.contains(&r.code)) {
        for part in &reach.line {
            doc.polyline(&view.ring(part), 3.0, WATER);
        }
    }
    // Labels after the shapes so nothing covers them.
    for other in maps.villages().filter(|g| g.grid.code != village.grid.code) {
        if let Some(p) = other.shape.interior_point()
            && frame.intersects(&p)
        {
            let (px, py) = view.mm(p.x(), p.y());
            doc.text(px, py - 1.5, 6.5, &other.grid.name, GREY, Align::Center);
        }
    }
    for river in maps.rivers() {
        if let Some((lon, lat)) = label_point(&river.line.0, &frame) {
            let (px, py) = view.mm(lon, lat);
            doc.text(px + 1.0, py + 0.8, 7.0, &river.river.name, WATER, Align::Left);
        }
    }
    doc.text(x + 2.0, y + 1.5, 8.5, &village.grid.name, rgb(150, 80, 0), Align::Left);
    let points: Vec<(f32, f32)> = spec.points.iter().map(|&(lon, lat)| view.mm(lon, lat)).collect();
    for m in markers(&points, |label| super::pdf::text_width(label, MARKER_PT)) {
        doc.polygon(&[circle(m.x, m.y, MARKER_R)], Some(RED), Some((rgb(255, 255, 255), 0.6)));
        doc.text(m.x + MARKER_R + 0.5, m.y - MARKER_R - 1.2, MARKER_PT, &m.label, RED, Align::Left);
    }
    doc.unclip();
    north_arrow(doc, x + w - 7.0, y + 3.0);
    scale_bar(doc, &view, x + 3.0, y + h - 4.0);
    doc.rect(x, y, w, h, None, Some((BLACK, 0.6)));
}

/// Radius of a hazard dot, mm.
const MARKER_R: f32 = 1.6;
/// Size of a hazard number, pt.
const MARKER_PT: f32 = 7.5;

/// One hazard marker on a notice map: where its dot goes (page mm) and the
/// finding numbers it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Centre of the dot.
    pub x: f32,
    /// Centre of the dot.
    pub y: f32,
    /// The numbers, e.g. `3` or `1、2`.
    pub label: String,
}

/// The markers for numbered points (page mm, numbered 1, 2, ... in order):
/// points whose dot-and-number boxes would touch share one dot at their
/// centre labelled with all their numbers (`1、2`), repeated until no two
/// markers touch, so every number stays readable. `width` measures a label in mm.
///
/// ```
/// use gridsafe::docs::map::markers;
/// let m = markers(&[(50.0, 50.0), (50.0, 50.0), (90.0, 20.0)], |l| l.chars().count() as f32 * 1.5);
/// assert_eq!(m.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(), ["1、2", "3"]);
/// ```
pub fn markers(points: &[(f32, f32)], width: impl Fn(&str) -> f32) -> Vec<Marker> {
    // Each cluster: the finding numbers it holds.
    let mut clusters: Vec<Vec<usize>> = (0..points.len()).map(|i| vec![i]).collect();
    let marker = |members: &[usize]| {
        let n = members.len() as f32;
        let x = members.iter().map(|&i| points[i].0).sum::<f32>() / n;
        let y = members.iter().map(|&i| points[i].1).sum::<f32>() / n;
        let label = members.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join("、");
        Marker { x, y, label }
    };
    let footprint = |m: &Marker| {
        let text_h = MARKER_PT * 1.2 / 2.835;
        let top = m.y - MARKER_R - 1.2;
        let right = m.x + MARKER_R + 0.5 + width(&m.label);
        Rect::new(
            Coord { x: m.x - MARKER_R, y: top.min(m.y - MARKER_R) },
            Coord { x: right, y: (top + text_h).max(m.y + MARKER_R) },
        )
    };
    loop {
        let boxes: Vec<Rect<f32>> = clusters.iter().map(|c| footprint(&marker(c))).collect();
        let touching = (0..boxes.len())
            .flat_map(|a| (a + 1..boxes.len()).map(move |b| (a, b)))
            .find(|&(a, b)| boxes[a].intersects(&boxes[b]));
        let Some((a, b)) = touching else { break };
        let moved = clusters.remove(b);
        clusters[a].extend(moved);
        clusters[a].sort_unstable();
    }
    clusters.iter().map(|c| marker(c)).collect()
}

const TRACK: [u8; 3] = rgb(235, 90, 20);
const START: [u8; 3] = rgb(20, 140, 60);

/// Draws a river's reaches with a patrol track over them in `area`: the
/// villages around outlined and named for context, every river in thin blue,
/// this river's reaches heavier with a tick where one reach meets the next,
/// `highlighted` reaches heaviest, the track in orange with its start (起)
/// and end (终) marked. The frame fits the track and the highlighted reaches;
/// with neither, the whole river.
pub fn draw_track(
    doc: &mut Doc,
    maps: &Maps,
    river_code: &str,
    track: &[(f64, f64)],
    highlighted: &[String],
    area: Area,
) {
    let Area { x, y, w, h } = area;
    doc.rect(x, y, w, h, Some(rgb(250, 250, 246)), None);
    let reaches: Vec<&Reach> = maps.reaches_of(river_code).collect();
    let stressed: Vec<&Reach> = reaches.iter().copied().filter(|r| highlighted.contains(&r.code)).collect();
    let bounds = track_bounds(maps, river_code, &reaches, &stressed, track);
    let Some(bounds) = bounds else {
        doc.text(
            x + w / 2.0,
            y + h / 2.0 - 2.0,
            9.0,
            "无轨迹，且未找到该河流的河段，无法绘制示意图",
            GREY,
            Align::Center,
        );
        doc.rect(x, y, w, h, None, Some((BLACK, 0.6)));
        return;
    };
    let view = View::fit(bounds, area);
    let frame = view.frame();
    doc.clip(x, y, w, h);
    let near: Vec<_> =
        maps.villages().filter(|g| g.shape.bounding_rect().is_some_and(|b| b.intersects(&frame))).collect();
    // Villages a stressed reach runs through are tinted, so the reader sees whose bank was walked.
    for village in &near {
        let tinted = stressed.iter().any(|r| r.grid == village.grid.code);
        let rings: Vec<Vec<(f32, f32)>> = village.shape.iter().map(|p| view.ring(p.exterior())).collect();
        let fill = tinted.then_some(rgb(255, 246, 220));
        doc.polygon(&rings, fill, Some((rgb(170, 170, 170), 0.4)));
    }
    for river in maps.rivers().iter().filter(|r| r.river.code.as_str() != river_code) {
        for part in &river.line {
            doc.polyline(&view.ring(part), 1.0, rgb(120, 165, 225));
        }
    }
    for reach in &reaches {
        let width = if stressed.iter().any(|r| r.code == reach.code) { 3.2 } else { 1.8 };
        for part in &reach.line {
            doc.polyline(&view.ring(part), width, WATER);
        }
    }
    // A tick at each end of a reach shows where one village's stretch gives way to the next.
    for reach in &reaches {
        for part in &reach.line {
            for c in [part.0.first(), part.0.last()].into_iter().flatten() {
                let (px, py) = view.mm(c.x, c.y);
                doc.polygon(&[circle(px, py, 0.9)], Some(rgb(255, 255, 255)), Some((WATER, 0.6)));
            }
        }
    }
    let points: Vec<(f32, f32)> = track.iter().map(|&(lon, lat)| view.mm(lon, lat)).collect();
    doc.polyline(&points, 1.6, TRACK);
    track_labels(doc, maps, &view, area, &near, &points);
    let ends = [(points.first(), "起", START), (points.last(), "终", RED)];
    for (point, label, fill) in ends {
        if let Some(&(px, py)) = point {
            doc.polygon(&[circle(px, py, 2.4)], Some(fill), Some((rgb(255, 255, 255), 0.6)));
            doc.text(px, py - 1.75, 6.5, label, rgb(255, 255, 255), Align::Center);
        }
    }
    doc.unclip();
    legend(doc, x + 3.0, y + 2.0, !track.is_empty());
    north_arrow(doc, x + w - 7.0, y + 3.0);
    scale_bar(doc, &view, x + 3.0, y + h - 4.0);
    doc.rect(x, y, w, h, None, Some((BLACK, 0.6)));
}

/// The frame of a track map in degrees: the track and the stressed reaches,
/// plus the river's reaches when there is no track.
fn track_bounds(
    maps: &Maps,
    river_code: &str,
    reaches: &[&Reach],
    stressed: &[&Reach],
    track: &[(f64, f64)],
) -> Option<Rect> {
    let mut bounds = track
        .iter()
        .map(|&(lon, lat)| Rect::new(Coord { x: lon, y: lat }, Coord { x: lon, y: lat }))
        .chain(stressed.iter().filter_map(|r| r.line.bounding_rect()))
        .reduce(union);
    if track.is_empty() || bounds.is_none() {
        // The river's course in the town is its reaches; its line may run on for many kilometres beyond.
        let river = reaches
            .iter()
            .filter_map(|r| r.line.bounding_rect())
            .reduce(union)
            .or_else(|| maps.river(river_code).and_then(|r| r.line.bounding_rect()));
        bounds = match (bounds, river) {
            (Some(a), Some(b)) => Some(union(a, b)),
            (a, b) => a.or(b),
        };
    }
    bounds
}

/// The names on a track map, drawn after the shapes so nothing covers them,
/// each moved off the water, the track, its end markers, the map furniture and
/// the labels before it.
fn track_labels(doc: &mut Doc, maps: &Maps, view: &View, area: Area, near: &[&GridFeature], points: &[(f32, f32)]) {
    let Area { x, y, w, h } = area;
    let frame = view.frame();
    let mut lines: Vec<Vec<(f32, f32)>> =
        maps.rivers().iter().flat_map(|r| r.line.iter().map(|part| view.ring(part))).collect();
    lines.push(points.to_vec());
    let mut taken = Labels { frame: mm_rect(x, y, w, h), lines, boxes: Vec::new() };
    for &(px, py) in [points.first(), points.last()].into_iter().flatten() {
        taken.boxes.push(Rect::new(Coord { x: px - 2.6, y: py - 2.6 }, Coord { x: px + 2.6, y: py + 2.6 }));
    }
    taken.boxes.push(mm_rect(x, y, 27.0, 15.0));
    taken.boxes.push(mm_rect(x + w - 11.0, y, 11.0, 14.0));
    taken.boxes.push(mm_rect(x, y + h - 9.0, w / 4.0 + 16.0, 9.0));
    for river in maps.rivers() {
        let inside: Vec<(f32, f32)> = river
            .line
            .iter()
            .flat_map(|l| l.0.iter())
            .filter(|c| frame.intersects(&geo::Point::from(**c)))
            .map(|c| view.mm(c.x, c.y))
            .collect();
        let size = 7.5;
        let tw = super::pdf::text_width(&river.river.name, size);
        // Try points a third, a half, two thirds ... of the way along the visible stretch.
        let spots = [3, 2, 6, 4, 8].iter().flat_map(|d| [inside.len() / d, inside.len() - inside.len() / d]);
        let spots: Vec<(f32, f32)> = spots.filter_map(|i| inside.get(i).copied()).collect();
        let candidates = spots.iter().flat_map(|&(px, py)| {
            [(px + 1.2, py + 0.8), (px - 1.2 - tw, py + 0.8), (px + 1.2, py - 4.0), (px - 1.2 - tw, py - 4.0)]
        });
        if let Some((lx, ly)) = taken.place(candidates, (tw, size), |_| true, |_| true) {
            doc.text(lx, ly, size, &river.river.name, WATER, Align::Left);
        }
    }
    let outlines: Vec<Vec<geo::Polygon<f32>>> = near
        .iter()
        .map(|v| {
            v.shape
                .iter()
                .map(|poly| geo::Polygon::new(view.ring(poly.exterior()).into_iter().collect(), Vec::new()))
                .collect()
        })
        .collect();
    let inside =
        |outline: &[geo::Polygon<f32>], b: &Rect<f32>| outline.iter().any(|o| geo::Contains::contains(o, &b.center()));
    for (village, own) in near.iter().zip(&outlines) {
        let Some(p) = village.shape.interior_point() else { continue };
        if !frame.intersects(&p) {
            continue;
        }
        let (px, py) = view.mm(p.x(), p.y());
        let size = 6.5;
        let tw = super::pdf::text_width(&village.grid.name, size);
        let candidates = [0.0, 0.7, -0.7, 1.4, -1.4]
            .into_iter()
            .flat_map(|k| [0.0, 3.5, -3.5].map(|dy| (px - tw / 2.0 + k * (tw + 2.0), py - 1.5 + dy)));
        // A narrow riverside village may have its name just outside the town, never inside a neighbour.
        let outside_all = |b: &Rect<f32>| !outlines.iter().any(|o| inside(o, b));
        let placed = taken.place(candidates, (tw, size), |b| inside(own, b), outside_all);
        if let Some((lx, ly)) = placed {
            doc.text(lx, ly, size, &village.grid.name, GREY, Align::Left);
        }
    }
}

/// The key of the track map: the track (when there is one), patrolled reach, other reach.
fn legend(doc: &mut Doc, x: f32, y: f32, with_track: bool) {
    let rows: [(&str, [u8; 3], f32); 3] =
        [("巡河轨迹", TRACK, 1.6), ("巡查河段", WATER, 3.2), ("其他河段", WATER, 1.8)];
    let rows = &rows[usize::from(!with_track)..];
    doc.rect(
        x - 1.0,
        y - 1.0,
        24.0,
        rows.len() as f32 * 3.8 + 1.6,
        Some(rgb(255, 255, 255)),
        Some((rgb(190, 190, 190), 0.3)),
    );
    for (i, (label, col, width)) in rows.iter().enumerate() {
        let ly = y + 0.5 + i as f32 * 3.8;
        doc.line((x, ly + 1.6), (x + 7.0, ly + 1.6), *width, *col);
        doc.text(x + 9.0, ly, 6.5, label, BLACK, Align::Left);
    }
}

/// What a label must not cover on the track map, in page mm: lines (rivers,
/// the track) and boxes (markers, legend, labels already placed).
struct Labels {
    frame: Rect<f32>,
    lines: Vec<Vec<(f32, f32)>>,
    boxes: Vec<Rect<f32>>,
}

impl Labels {
    /// The first candidate top-left corner whose box, for text `width` mm wide
    /// at `size` pt, is clear and passes `fits`; failing that, the first clear
    /// one that passes `acceptable`. It is then taken. When none is clear the
    /// first candidate is used anyway: a label over a line still names its
    /// place, a missing one does not.
    fn place(
        &mut self,
        candidates: impl IntoIterator<Item = (f32, f32)>,
        (width, size): (f32, f32),
        fits: impl Fn(&Rect<f32>) -> bool,
        acceptable: impl Fn(&Rect<f32>) -> bool,
    ) -> Option<(f32, f32)> {
        let height = size * 1.2 / 2.835;
        let boxed = |(lx, ly): (f32, f32)| Rect::new(Coord { x: lx, y: ly }, Coord { x: lx + width, y: ly + height });
        let candidates: Vec<(f32, f32)> = candidates.into_iter().collect();
        let clear = |c: (f32, f32)| {
            let b = boxed(c);
            geo::Contains::contains(&self.frame, &b)
                && !self.boxes.iter().any(|o| o.intersects(&b))
                && !self.lines.iter().any(|l| l.windows(2).any(|s| b.intersects(&geo::Line::new(s[0], s[1]))))
        };
        let chosen = candidates
            .iter()
            .copied()
            .find(|&c| fits(&boxed(c)) && clear(c))
            .or_else(|| candidates.iter().copied().find(|&c| acceptable(&boxed(c)) && clear(c)))
            .or_else(|| candidates.first().copied())?;
        self.boxes.push(boxed(chosen));
        Some(chosen)
    }
}

fn mm_rect(x: f32, y: f32, w: f32, h: f32) -> Rect<f32> {
    Rect::new(Coord { x, y }, Coord { x: x + w, y: y + h })
}

fn union(a: Rect, b: Rect) -> Rect {
    Rect::new(
        Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
}

/// A point of the river inside the frame to hang its name on.
fn label_point(parts: &[LineString], frame: &Rect) -> Option<(f64, f64)> {
    let inside: Vec<&Coord> =
        parts.iter().flat_map(|l| l.0.iter()).filter(|c| frame.intersects(&geo::Point::from(**c))).collect();
    inside.get(inside.len() / 3).map(|c| (c.x, c.y))
}

fn circle(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
    (0..16)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / 16.0;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

fn north_arrow(doc: &mut Doc, x: f32, y: f32) {
    doc.polygon(&[vec![(x, y), (x + 2.2, y + 6.0), (x, y + 4.8), (x - 2.2, y + 6.0)]], Some(BLACK), None);
    doc.text(x, y + 6.4, 7.0, "北", BLACK, Align::Center);
}

fn scale_bar(doc: &mut Doc, view: &View, x: f32, y: f32) {
    // The roundest length that takes at most a quarter of the frame.
    let m_per_mm = view.metres_per_mm();
    let target = f64::from(view.w / 4.0) * m_per_mm;
    let step = [50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0, 10_000.0]
        .into_iter()
        .rev()
        .find(|s| *s <= target)
        .unwrap_or(50.0);
    let len = (step / m_per_mm) as f32;
    doc.rect(x - 1.0, y - 3.6, len + 12.0, 5.2, Some(rgb(255, 255, 255)), None);
    doc.line((x, y), (x + len, y), 1.2, BLACK);
    doc.line((x, y - 1.2), (x, y), 0.8, BLACK);
    doc.line((x + len, y - 1.2), (x + len, y), 0.8, BLACK);
    let label = if step >= 1000.0 { format!("{} 公里", step / 1000.0) } else { format!("{step} 米") };
    doc.text(x + len + 1.0, y - 2.6, 6.5, &label, BLACK, Align::Left);
}

/// Longitude/latitude to mm in the frame, equirectangular at the centre latitude.
struct View {
    lon0: f64,
    lat0: f64,
    /// mm per degree of longitude and of latitude.
    kx: f64,
    ky: f64,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl View {
    fn fit(bounds: Rect, area: Area) -> Self {
        let Area { x, y, w, h } = area;
        let center = bounds.center();
        let cos = center.y.to_radians().cos();
        // A margin of a fifth around the village so its neighbours show.
        let span_x = (bounds.width() * cos).max(1e-4) * 1.4;
        let span_y = bounds.height().max(1e-4) * 1.4;
        let k = (f64::from(w) / span_x).min(f64::from(h) / span_y);
        Self { lon0: center.x, lat0: center.y, kx: k * cos, ky: k, x, y, w, h }
    }

    fn mm(&self, lon: f64, lat: f64) -> (f32, f32) {
        let dx = (lon - self.lon0) * self.kx;
        let dy = (lat - self.lat0) * self.ky;
        (self.x + self.w / 2.0 + dx as f32, self.y + self.h / 2.0 - dy as f32)
    }

    fn ring(&self, line: &LineString) -> Vec<(f32, f32)> {
        line.0.iter().map(|c| self.mm(c.x, c.y)).collect()
    }

    /// The frame in degrees.
    fn frame(&self) -> Rect {
        let hx = f64::from(self.w) / 2.0 / self.kx;
        let hy = f64::from(self.h) / 2.0 / self.ky;
        Rect::new(Coord { x: self.lon0 - hx, y: self.lat0 - hy }, Coord { x: self.lon0 + hx, y: self.lat0 + hy })
    }

    fn metres_per_mm(&self) -> f64 {
        // One degree of latitude is about 111.32 km.
        111_320.0 / self.ky
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// About the width of digits and 、 at 7.5 pt.
    fn width(label: &str) -> f32 {
        label.chars().map(|c| if c.is_ascii_digit() { 1.4 } else { 2.6 }).sum()
    }

    fn boxes_overlap(ms: &[Marker]) -> bool {
        let text_h = MARKER_PT * 1.2 / 2.835;
        let b = |m: &Marker| {
            mm_rect(
                m.x - MARKER_R,
                m.y - MARKER_R - 1.2,
                2.0 * MARKER_R + 0.5 + width(&m.label),
                text_h.max(2.0 * MARKER_R) + 1.2,
            )
        };
        ms.iter().enumerate().any(|(i, a)| ms[i + 1..].iter().any(|c| b(a).intersects(&b(c))))
    }

    #[test]
    fn two_hazards_at_one_point_share_a_dot_labelled_with_both_numbers() {
        let ms = markers(&[(40.0, 30.0), (40.0, 30.0)], width);
        assert_eq!(ms, [Marker { x: 40.0, y: 30.0, label: "1、2".into() }]);
    }

    #[test]
    fn hazards_apart_keep_their_own_dots_and_near_ones_merge() {
        // 1 and 3 lie 1 mm apart (their numbers would overlap), 2 is far away.
        let ms = markers(&[(40.0, 30.0), (80.0, 10.0), (41.0, 30.0)], width);
        let labels: Vec<&str> = ms.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["1、3", "2"]);
        assert!((ms[0].x - 40.5).abs() < 1e-6, "the shared dot sits between them");
        assert!(markers(&[], width).is_empty());
    }

    #[test]
    fn no_two_markers_overlap_however_the_points_fall() {
        // A dense cluster, a diagonal line and scattered points: every case's number stays readable.
        let mut points: Vec<(f32, f32)> =
            (0..12).map(|i| (30.0 + (i % 4) as f32 * 1.5, 20.0 + (i / 4) as f32)).collect();
        points.extend((0..10).map(|i| (60.0 + i as f32 * 3.0, 10.0 + i as f32 * 3.0)));
        points.extend([(5.0, 5.0), (100.0, 40.0), (7.0, 6.0)]);
        let ms = markers(&points, width);
        assert!(!boxes_overlap(&ms), "{ms:?}");
        let mut numbers: Vec<usize> =
            ms.iter().flat_map(|m| m.label.split('、').map(|n| n.parse::<usize>().unwrap())).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=points.len()).collect::<Vec<_>>(), "every point keeps its number once");
    }
}
