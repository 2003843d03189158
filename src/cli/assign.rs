//! `gridsafe assign USER ROLE SCOPE...`: give a person a role over a scope.

use crate::config::DbArgs;
use crate::domain::time::Clock;
use crate::service::accounts::{self, AssignmentInput};
use crate::service::geography;

/// Arguments of `gridsafe assign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Login name of the person.
    pub username: String,
    /// Role: inspector, grid_leader, town_expert, enterprise_expert, river_chief, river_police, cadre, admin,
    /// enterprise_contact.
    pub role: String,
    /// Scope: grid code (inspector, grid leader), town code (admin, town expert), enterprises by
    /// id or USCC (expert, cadre; exactly one for a contact), river codes (police, town-level
    /// chief) or reach codes (other chiefs).
    #[arg(required = true)]
    pub scope: Vec<String>,
    /// Inspector's duty: safety or environment.
    #[arg(long)]
    pub duty: Option<String>,
    /// River chief's level: town, community or village.
    #[arg(long)]
    pub level: Option<String>,
    /// Enterprise expert's specialty.
    #[arg(long)]
    pub specialty: Option<String>,
    /// First day (YYYY-MM-DD; default today).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), e.g. a contract's end.
    #[arg(long)]
    pub to: Option<String>,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the assignment as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Checks and stores the assignment.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    let maps = geography::load_maps(&conn)?;
    let input = AssignmentInput {
        username: args.username.clone(),
        role: args.role.clone(),
        scope: args.scope.clone(),
        duty: args.duty.clone(),
        level: args.level.clone(),
        specialty: args.specialty.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
    };
    let assignment = accounts::create_assignment(&conn, &maps, &input, clock.now_s())?;
    if args.json {
        return super::print_json(&assignment);
    }
    outln!(
        "已分配 / assigned #{}: {} {} {:?} from {}",
        assignment.id,
        args.username,
        assignment.role.zh(),
        args.scope,
        assignment.from
    )?;
    Ok(())
}
