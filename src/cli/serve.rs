//! `gridsafe serve`: open the store, load the geography, serve HTTP until SIGTERM or ctrl-c.

use anyhow::Context;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::app::{App, UiSettings};
use crate::config::Config;
use crate::demo;
use crate::domain::time::Clock;
use crate::service::geography;
use crate::service::{accounts, documents, open311};
use crate::spatial::Maps;
use crate::store::{self, Store};

/// Arguments of `gridsafe serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server settings.
    #[command(flatten)]
    pub config: Config,
}

/// Starts the runtime and serves.
pub fn run(args: Args, clock: Clock) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(serve(args.config, clock))
}

async fn serve(config: Config, clock: Clock) -> anyhow::Result<()> {
    let path = config.db.db.clone();
    // Held while serving: `gridsafe restore` refuses a database a server has open.
    let _lock = crate::service::backup::ServerLock::take(&path)?;
    let store =
        Store::open(&path, &config.store_options()).with_context(|| format!("cannot open {}", path.display()))?;
    guard_check(&store, &config, clock.now_s()).await?;
    if config.demo {
        let loaded = store
            .write(|c| {
                if store::grids::count(c)? > 0 {
                    return Ok(None);
                }
                geography::load_demo(c).map(Some)
            })
            .await
            .context("cannot load the demo town")?;
        if let Some(summaries) = loaded {
            for s in summaries {
                tracing::info!(kind = s.kind, features = s.features, reaches = s.reaches, "demo geography loaded");
            }
        }
    }
    if let Some(url) = config.public_url.clone() {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("--public-url 须以 http:// 或 https:// 开头 / must start with http:// or https://: {url}");
        }
        store
            .write(move |c| store::documents::set_setting(c, "public_url", &url))
            .await
            .context("cannot save the public URL")?;
    }
    if let Some(on) = config.open311 {
        store.write(move |c| open311::set_enabled(c, on)).await.context("cannot save the Open311 setting")?;
    }
    let maps = store.read(geography::load_maps).await.context("cannot load the geography")?;
    if maps.town().is_none() {
        tracing::warn!("the database holds no geography yet: run `gridsafe init` or `serve --demo`");
    }
    let maps = Arc::new(maps);
    // Listen first: documents issued from now on (the demo's too) link to this address.
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = listener.local_addr()?;
    let own = own_url(address);
    if config.public_url.is_none() && address.ip().is_unspecified() {
        tracing::warn!(url = %own, "listening on every interface: documents link to {own}; set --public-url to choose");
    }
    store.write(move |c| documents::record_server_url(c, &own)).await.context("cannot record the server's address")?;
    if config.demo {
        seed_demo(&store, &maps, clock.now_s()).await?;
    } else {
        let (for_admin, now) = (maps.clone(), clock.now_s());
        let first = store
            .write(move |c| accounts::create_first_admin(c, &for_admin, now))
            .await
            .context("cannot create the first admin")?;
        if let Some(password) = first {
            outln!(
                "已创建管理员账号 admin，初始密码（只显示这一次）/ created user admin, password (shown once): {password}"
            )?;
        }
    }
    let app =
        App::new(store, maps, UiSettings { tile_url: config.tile_url.clone(), public_url: config.public_url.clone() })
            .with_clock(clock)
            .with_backups(config.backup_schedule())
            .with_limits(config.limits())
            .with_metrics_token(config.metrics_token.clone());
    if app.backups.schedule.is_some() {
        tokio::spawn(run_backups(app.clone(), path.clone()));
    }
    tokio::spawn(watch_audit(app.clone(), path.clone(), config.audit_every));
    outln!("gridsafe 已启动 / listening on http://{address}/  (数据库 / database: {})", path.display())?;
    crate::http::serve(listener, app, shutdown_signal()).await?;
    outln!("gridsafe 已停止 / stopped")?;
    Ok(())
}

/// Refuses to serve a database whose append-only triggers are missing or
/// altered (someone could edit the audit log unseen), unless told to with
/// `--accept-missing-triggers`: then they are re-created and the audit log
/// records the start.
async fn guard_check(store: &Store, config: &Config, now: i64) -> anyhow::Result<()> {
    let missing = store.read(store::audit::missing_guards).await.context("cannot check the audit triggers")?;
    if missing.is_empty() {
        return Ok(());
    }
    let names = missing.join(", ");
    if !config.accept_missing_triggers {
        anyhow::bail!(
            "审计日志的防篡改触发器缺失或被改动（{names}）：记录可能被篡改过，拒绝启动。请先运行 `gridsafe audit verify` \
             核查（必要时从备份恢复），确认后可加 --accept-missing-triggers 启动：触发器将被重建，并记入审计日志。\n\
             the audit log's append-only triggers are missing or altered ({names}): records may have been tampered \
             with, so the server refuses to start. Check with `gridsafe audit verify` (restore a backup if need be), \
             then start with --accept-missing-triggers: the triggers are re-created and the start is recorded in the audit log."
        );
    }
    tracing::error!(triggers = %names, "AUDIT TRIGGERS MISSING: started with --accept-missing-triggers; re-creating them");
    let at = crate::domain::time::china_timestamp(now);
    store
        .write(move |c| crate::service::integrity::accept_missing_guards(c, &missing, at.clone()))
        .await
        .context("cannot re-create the audit triggers")?;
    Ok(())
}

/// The tamper alarm: checks the audit chain (from the last verified entry on)
/// and its guards at start and then every `every_s` seconds, on a blocking
/// thread with its own read-only connection, logging loudly what is wrong.
async fn watch_audit(app: App, db: std::path::PathBuf, every_s: u64) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every_s));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (db, previous, now) = (db.clone(), app.audit_state(), app.now_s());
        let checked = tokio::task::spawn_blocking(move || {
            let conn = store::open_connection(&db)?;
            conn.execute_batch("PRAGMA query_only = ON;")?;
            Ok::<_, rusqlite::Error>(crate::service::integrity::check(&conn, &previous, now))
        })
        .await;
        let state = match checked {
            Ok(Ok(state)) => state,
            Ok(Err(e)) => app.audit_state().failed(e.to_string()),
            Err(_) => {
                tracing::error!("the audit check panicked");
                continue;
            }
        };
        let concerns = state.concerns();
        if concerns.is_empty() {
            tracing::debug!(entries = state.verified_entries, "audit chain verified");
        } else {
            tracing::error!(concerns = %concerns.join("; "), "AUDIT ALARM");
        }
        if let Ok(mut slot) = app.audit.lock() {
            *slot = state;
        }
    }
}

/// Takes a scheduled backup now and then every interval, each on a blocking
/// thread with its own connection (filing goes on meanwhile), logging and
/// keeping each outcome for `/healthz`.
async fn run_backups(app: App, db: std::path::PathBuf) {
    let Some(schedule) = app.backups.schedule.clone() else { return };
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(schedule.every_s));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (db, schedule, now) = (db.clone(), schedule.clone(), app.now_s());
        let Ok(last) =
            tokio::task::spawn_blocking(move || crate::service::backup::scheduled(&db, &schedule, now)).await
        else {
            tracing::error!("the backup task panicked");
            continue;
        };
        let outcome = if last.file.is_some() { "ok" } else { "failed" };
        app.metrics.backups.get_or_create(&crate::metrics::OutcomeLabels { outcome: outcome.into() }).inc();
        match (&last.file, &last.error) {
            (Some(file), _) => {
                app.metrics.last_backup.set(last.at);
                tracing::info!(file = %file.display(), "backup taken and verified");
            }
            (_, error) => tracing::error!(error = error.as_deref().unwrap_or("unknown"), "BACKUP FAILED"),
        }
        if let Ok(mut slot) = app.backups.last.lock() {
            *slot = Some(last);
        }
    }
}

/// The server's own address for links in documents: `http://<listen address>`,
/// with an address on this machine's outgoing interface in place of an
/// unspecified one (0.0.0.0 or ::), which no phone could open.
fn own_url(address: SocketAddr) -> String {
    let ip = if address.ip().is_unspecified() { outgoing_ip(address.ip()) } else { address.ip() };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

/// The local address of the interface a datagram would leave by (nothing is
/// sent: connecting a UDP socket only picks the route), else loopback.
fn outgoing_ip(unspecified: IpAddr) -> IpAddr {
    let (probe, loopback): (SocketAddr, IpAddr) = if unspecified.is_ipv4() {
        (SocketAddr::from(([192, 0, 2, 1], 9)), IpAddr::from([127, 0, 0, 1]))
    } else {
        (SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 9)), IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1u16]))
    };
    std::net::UdpSocket::bind(SocketAddr::new(unspecified, 0))
        .and_then(|socket| socket.connect(probe).and_then(|()| socket.local_addr()))
        .map(|local| local.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(loopback)
}

/// Seeds the demo people and enterprises once, then prints the demo logins.
async fn seed_demo(store: &Store, maps: &Arc<Maps>, now: i64) -> anyhow::Result<()> {
    let hash = tokio::task::spawn_blocking(|| accounts::hash_password(demo::DEMO_PASSWORD)).await??;
    let maps = maps.clone();
    let cases = store
        .write(move |c| {
            demo::seed(c, &maps, &hash, now)?;
            let cases = demo::seed_cases(c, &maps, now, demo::DEMO_CASES)?;
            let patrols = demo::seed_patrols(c, &maps, now)?;
            Ok((cases, patrols))
        })
        .await
        .context("cannot seed the demo data")?;
    if cases.0 > 0 || cases.1 > 0 {
        tracing::info!(cases = cases.0, patrols = cases.1, "demo cases and patrols filed");
    }
    outln!("演示账号（密码均为 {}）/ demo logins (password {}):", demo::DEMO_PASSWORD, demo::DEMO_PASSWORD)?;
    for (username, role) in demo::DEMO_LOGINS {
        outln!("  {username:<16} {role}")?;
    }
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_url_is_the_listen_address_and_never_an_unspecified_one() {
        assert_eq!(own_url("127.0.0.1:8080".parse().unwrap()), "http://127.0.0.1:8080");
        assert_eq!(own_url("[::1]:9000".parse().unwrap()), "http://[::1]:9000");
        let any = own_url("0.0.0.0:8080".parse().unwrap());
        assert!(any.starts_with("http://") && any.ends_with(":8080") && !any.contains("0.0.0.0"), "{any}");
    }
}
