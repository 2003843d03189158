//! The small map printed on documents: the village grid shaded, its
//! neighbours outlined and named for context, rivers in blue with the nearby
//! reach drawn heavier, the numbered hazard points, a north arrow and a
//! scale bar, all clipped to a frame.

use geo::{BoundingRect, Coord, InteriorPoint, Intersects, LineString, Rect};

use super::pdf::{Align, Area, BLACK, Doc, GREY, RED, rgb};
use crate::spatial::Maps;

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
    for (i, &(lon, lat)) in spec.points.iter().enumerate() {
        let (px, py) = view.mm(lon, lat);
        let radius = 1.6;
        doc.polygon(&[circle(px, py, radius)], Some(RED), Some((rgb(255, 255, 255), 0.6)));
        doc.text(px + radius + 0.5, py - radius - 1.2, 7.5, &(i + 1).to_string(), RED, Align::Left);
    }
    doc.unclip();
    north_arrow(doc, x + w - 7.0, y + 3.0);
    scale_bar(doc, &view, x + 3.0, y + h - 4.0);
    doc.rect(x, y, w, h, None, Some((BLACK, 0.6)));
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
