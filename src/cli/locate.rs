//! `gridsafe locate LON LAT`: which village, community and town hold a point.

use crate::config::DbArgs;
use crate::domain::geo_point::Lonlat;
use crate::service::geography;

/// Arguments of `gridsafe locate`.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Longitude (WGS84 degrees).
    pub lon: f64,
    /// Latitude (WGS84 degrees).
    pub lat: f64,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Loads the grids and answers the point.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let point = Lonlat::parse(args.lon, args.lat)?;
    let conn = args.db.open()?;
    let maps = geography::load_maps(&conn)?;
    let located = maps.locate(point)?;
    if args.json {
        return super::print_json(&located);
    }
    outln!(
        "{} › {} › {}  ({} › {} › {})",
        located.town.name,
        located.community.name,
        located.village.name,
        located.town.code,
        located.community.code,
        located.village.code
    )?;
    Ok(())
}
