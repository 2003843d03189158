//! A checked WGS84 longitude/latitude pair.

use crate::error::{Error, Result};

/// A WGS84 point, longitude first as in GeoJSON. Always finite and in range.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Lonlat {
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
}

impl Lonlat {
    /// Checks range and finiteness.
    ///
    /// ```
    /// use gridsafe::domain::geo_point::Lonlat;
    /// assert!(Lonlat::parse(118.62, 36.73).is_ok());
    /// assert!(Lonlat::parse(190.0, 36.73).is_err());
    /// assert!(Lonlat::parse(f64::NAN, 0.0).is_err());
    /// ```
    pub fn parse(lon: f64, lat: f64) -> Result<Self> {
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Error::invalid(
                "lon",
                format!("经度必须是 -180 到 180 之间的数字，收到 {lon}"),
                format!("longitude must be a number between -180 and 180, got {lon}"),
            ));
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Error::invalid(
                "lat",
                format!("纬度必须是 -90 到 90 之间的数字，收到 {lat}"),
                format!("latitude must be a number between -90 and 90, got {lat}"),
            ));
        }
        Ok(Self { lon, lat })
    }

    /// Parses the two text fields of a query string or command line.
    pub fn parse_text(lon: &str, lat: &str) -> Result<Self> {
        let num = |field: &str, text: &str| {
            text.trim().parse::<f64>().map_err(|_| {
                Error::invalid(
                    field,
                    format!("{field} 必须是数字，收到 “{text}”"),
                    format!("{field} must be a number, got \"{text}\""),
                )
            })
        };
        Self::parse(num("lon", lon)?, num("lat", lat)?)
    }
}
