//! `gridsafe user add|passwd|list`: manage accounts from the command line.

use std::io::Read;

use anyhow::Context;

use crate::config::DbArgs;
use crate::domain::people;
use crate::domain::time::{Clock, china_timestamp};
use crate::service::accounts::{self, PersonInput};
use crate::store::people as people_store;

/// Arguments of `gridsafe user`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Account actions.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create an account; the password is read from standard input.
    Add {
        /// Login name (3–32 of a-z 0-9 . _ -).
        #[arg(long)]
        username: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a new password (read from standard input); open sessions are ended.
    Passwd {
        /// Login name.
        username: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs the account action.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    match &args.action {
        Action::Add { username, name, phone, .. } => {
            let input = PersonInput {
                username: username.clone(),
                name: name.clone(),
                phone: phone.clone(),
                password: read_password()?,
            };
            let person = people_store::insert(&conn, &accounts::new_person(&input)?, &china_timestamp(clock.now_s()))?;
            outln!("已创建用户 / created user {} ({}), id {}", person.username, person.name, person.id)?;
        }
        Action::Passwd { username, .. } => {
            let password = read_password()?;
            let hash = accounts::hash_password(people::password(&password)?)?;
            people_store::set_password(&conn, &username.trim().to_ascii_lowercase(), &hash, clock.now_s())?;
            outln!("已更新密码，原会话已失效 / password changed; open sessions ended")?;
        }
        Action::List { json } => {
            let people = people_store::list(&conn)?;
            if *json {
                return super::print_json(&people);
            }
            for p in people {
                outln!("{:>5}  {:<20} {}{}", p.id, p.username, p.name, if p.demo { "  (演示 demo)" } else { "" })?;
            }
        }
    }
    Ok(())
}
