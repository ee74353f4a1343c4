//! `cargo xtask bench login` runs this (release build, optimised web bundle): logging in
//! to the web app in headless Chromium with the key directory's transparency log small
//! (the cast's few entries: the baseline) and then with 10,000 more entries (valid member
//! certificates signed by an admin, as a large platform's directory would hold), each
//! for a fresh browser (nothing kept: the whole log is fetched, checked against the
//! checkpoint and replayed) and a returning one (the log this browser verified is kept
//! in IndexedDB: only what is new is fetched), on a page loaded afresh each time (the
//! login page's module, the door, then hands over to the whole interface's). Time: from
//! the click on « Se connecter » (password and account key already typed) to the inbox
//! shown. Then the
//! sizes: checkpoint note, entries, a consistency proof, the log kept by the browser.
//!
//! `PLI_BENCH_LOG_ENTRIES` changes the number of entries added (10000).

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark prints its table"
)]

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use pli_crypto::age::HybridIdentity;
use pli_crypto::cert::{Role, UserCertificate};
use pli_crypto::sign::{Signed, SigningKey};
use pli_e2e::cast::{PASSWORD, cast};
use pli_e2e::{Backend, Browser, relay};

const RUNS: usize = 3;

/// Seconds from the click on "Se connecter" to the inbox shown (its rows, or its empty
/// state). On a fresh browser the first click only leads to the account-key field: the
/// time until that field shows is added, the time spent typing the key is not.
async fn timed_login(
    browser: &Browser,
    email: &str,
    account_key: Option<&str>,
) -> anyhow::Result<f64> {
    browser.goto("#/login").await?;
    browser.fill("#login-email", email).await?;
    browser.fill("#login-password", PASSWORD).await?;
    let mut before_key = 0.0;
    if let Some(key) = account_key {
        // A fresh browser: the first submit asks for the account key.
        let started = Instant::now();
        browser.click("form button[type=submit]").await?;
        until(browser, "#login-account-key", started, email).await?;
        before_key = started.elapsed().as_secs_f64();
        browser.fill("#login-account-key", key).await?;
    }
    let started = Instant::now();
    browser.click("form button[type=submit]").await?;
    until(
        browser,
        "[data-testid=empty], [data-testid=exchange-row]",
        started,
        email,
    )
    .await?;
    Ok(before_key + started.elapsed().as_secs_f64())
}

/// Waits until `selector` matches an element of the page (checked every 10 ms).
async fn until(
    browser: &Browser,
    selector: &str,
    started: Instant,
    email: &str,
) -> anyhow::Result<()> {
    let script = format!("return document.querySelector('{selector}') !== null");
    loop {
        if browser.run(&script).await? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("{email}: no {selector} after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Logs out, then loads the page again, as a person coming back later does: the next
/// log-in is then the login page's (the door's, `web/src/door.rs`), which hands over to
/// the whole interface, not the whole interface's own form that a log-out shows.
async fn log_out(browser: &Browser) -> anyhow::Result<()> {
    browser.click("[data-testid=logout]").await?;
    browser.find("#login-email").await?;
    browser
        .run("window.PLI_BENCH_BEFORE_RELOAD = true; location.reload(); return true")
        .await?;
    let started = Instant::now();
    let script = "return window.PLI_BENCH_BEFORE_RELOAD === undefined \
                  && document.querySelector('#login-email') !== null";
    // While the page reloads, a script may fail: that is "not yet".
    while !matches!(browser.run(script).await, Ok(serde_json::Value::Bool(true))) {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the login page did not come back after a reload");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Fresh-browser and returning-browser login times (medians of [`RUNS`]).
async fn measure(
    base: &str,
    email: &str,
    account_key: &str,
    label: &str,
) -> anyhow::Result<(f64, f64)> {
    let mut fresh = Vec::new();
    let mut returning = Vec::new();
    for run in 0..RUNS {
        let browser = Browser::open(base, &format!("bench-login-{label}-{run}")).await?;
        fresh.push(timed_login(&browser, email, Some(account_key)).await?);
        log_out(&browser).await?;
        returning.push(timed_login(&browser, email, None).await?);
        log_out(&browser).await?;
        browser.close().await?;
    }
    Ok((median(fresh), median(returning)))
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let added: u64 = match std::env::var("PLI_BENCH_LOG_ENTRIES") {
        Ok(text) => text
            .parse()
            .context("PLI_BENCH_LOG_ENTRIES must be a number")?,
        Err(_) => 10_000,
    };
    let server = relay(Backend::Sqlite).await?;
    let people = cast(&server.base, &server.setup_token).await?;
    let who = &people.caseworker;
    let key = who.account_key();
    let small = server.state.store.log_head().await?.size;
    println!("log of {small} entries (the cast): logging in…");
    let (fresh_small, returning_small) = measure(&server.base, &who.email, &key, "small").await?;

    println!("appending {added} member certificates…");
    let admin = &people.dept_admin.session;
    let mut index = 0u64;
    while index < added {
        let mut tx = server.state.store.begin().await?;
        for _ in 0..500.min(added - index) {
            let signing = SigningKey::generate()?;
            let cert = UserCertificate {
                user_id: pli_api::UserId::from_bytes(
                    *signing
                        .verifying_key()
                        .fingerprint()
                        .0
                        .first_chunk::<16>()
                        .context("id")?,
                ),
                org_id: admin.me.org_id,
                role: Role::Member,
                service: false,
                display_name: format!("Agent {index}"),
                signing_key: signing.verifying_key(),
                // Post-quantum, as every key made since issue 10: 1,216 bytes each, so
                // the log is about 1.5 KB an entry.
                encryption_key: HybridIdentity::generate()?.to_recipient().into(),
                issued_at: 1,
                issuer: admin.keys.signing.verifying_key().fingerprint(),
                expires_at: Some(u64::MAX),
            };
            let leaf = pli_log::Entry::Person(Signed::sign(&cert, &admin.keys.signing)?).to_leaf();
            tx.log_append(&leaf, 1).await?;
            index += 1;
        }
        tx.commit().await?;
    }
    server.state.log.publish(&server.state.store).await?;
    let large = server.state.store.log_head().await?.size;
    println!("log of {large} entries: logging in…");
    let (fresh_large, returning_large) = measure(&server.base, &who.email, &key, "large").await?;

    // Sizes, as served.
    let session = &who.session;
    let state: pli_api::messages::LogState = session.client().get("/api/log/state").await?;
    let note = state.checkpoint.unwrap_or_default();
    let page: pli_api::messages::LogEntries = session
        .client()
        .get("/api/log/entries?start=0&end=1000")
        .await?;
    let page = serde_json::to_vec(&page)?;
    let proof = server
        .state
        .store
        .log_consistency_proof(large, large / 2)
        .await?;
    session.sync_log().await?;
    let kept = serde_json::to_vec(&session.known_log().context("no log")?)?;

    println!(
        "\nlogin in headless Chromium, optimised bundle, relay on loopback (SQLite), medians of {RUNS}"
    );
    println!(
        "  {:<44} {:>9} {:>9}",
        "",
        format!("{small} ent."),
        format!("{large} ent.")
    );
    println!(
        "  {:<44} {:>8.2}s {:>8.2}s  target ≤ 3 s  {}  ({:.2}× the small log)",
        "fresh browser, submit to inbox (log replayed)",
        fresh_small,
        fresh_large,
        verdict(fresh_large <= 3.0),
        fresh_large / fresh_small
    );
    println!(
        "  {:<44} {:>8.2}s {:>8.2}s  target ≤ 1 s  {}  ({:.2}× the small log)",
        "returning browser, submit to inbox (log kept)",
        returning_small,
        returning_large,
        verdict(returning_large <= 1.0),
        returning_large / returning_small
    );
    println!("\nsizes");
    println!(
        "  {:<44} {:>9} B",
        "checkpoint note (2 cosignatures)",
        note.len()
    );
    println!(
        "  {:<44} {:>9} B  ({} B an entry, JSON base64)",
        "1000 entries (one page)",
        page.len(),
        page.len() / 1000
    );
    println!(
        "  {:<44} {:>9} B  ({} hashes, {} → {} entries)",
        "consistency proof",
        proof.len() * 32,
        proof.len(),
        large / 2,
        large
    );
    println!(
        "  {:<44} {:>9} B",
        "log kept by the browser (JSON, before sealing)",
        kept.len()
    );
    Ok(())
}
