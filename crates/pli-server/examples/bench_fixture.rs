//! `bench_fixture`: what `cargo xtask bench server` needs from a running relay, done the
//! way a person's software would (through the HTTP API, with `pli-client`), or, to fill a
//! database with a million exchanges in seconds, with SQL straight into it.
//!
//! Every subcommand but `explain` prints one JSON object on stdout:
//!
//! * `world --base URL --setup-token TOKEN`: sets up the platform (admin with TOTP), a
//!   court and a Département, each with an admin (TOTP on, organisation key published,
//!   the second factor optional for members)
//!   and a certified member; prints both members' ids, addresses and session tokens.
//! * `login --base URL --email EMAIL --account-key KEY`: logs in as a member again and prints the new
//!   session's token (a fresh session is not touched for a minute).
//! * `complete --base URL --email EMAIL --account-key KEY --exchange ID --object SIZE:SHA256HEX…`: logs in
//!   as the sender, signs the envelope binding the given objects (manifest first) and
//!   completes the exchange, which delivers it.
//! * `seed --database-url URL --sender-org ID --sender-user ID --recipient-org ID
//!   --generation N --from I --to J`: inserts delivered exchanges number I to J (one in
//!   ten urgent, one in three read) from the sender to the recipient in one statement.
//!   On PostgreSQL it then runs `ANALYZE exchanges`, as autovacuum would soon after such
//!   a load; the relay never analyses a SQLite database, so neither does this.
//! * `explain --database-url URL --recipient-org ID`: the query plan of the inbox's first
//!   and second pages (the SQL of `Store::list_exchanges`), `EXPLAIN QUERY PLAN` on SQLite
//!   and `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL, as text.
//!
//! Never part of the test suite; cheap KDF parameters, fixed password.

#![allow(
    clippy::print_stdout,
    reason = "a command-line helper: its JSON on stdout is its interface"
)]

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use pli_api::messages::{CompleteExchange, ExchangeDetail};
use pli_api::{ExchangeId, OrgId};
use pli_client::{Client, Session};
use pli_crypto::cert::OrgKind;
use pli_crypto::envelope::{Envelope, ObjectRef, Priority};
use pli_crypto::sign::Signed;
use serde_json::json;
use sqlx::{Connection as _, Row as _};

/// Every account's password: the benchmark logs in again to complete exchanges.
const PASSWORD: &str = "bench: correct horse battery staple";

/// The first eight hex digits of every seeded exchange id (the rest is its number).
const SEED_TAG: &str = "be7c5eed";

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .context("usage: bench_fixture world|complete|seed|explain --option value…")?;
    let options = Options::parse(rest)?;
    let output: String = match command.as_str() {
        "world" => world(&options).await?.to_string(),
        "login" => login(&options).await?.to_string(),
        "complete" => complete(&options).await?.to_string(),
        "seed" => seed(&options).await?.to_string(),
        "explain" => explain(&options).await?,
        other => bail!("unknown subcommand `{other}`"),
    };
    println!("{output}");
    Ok(())
}

/// `--name value` pairs; `--object` may repeat.
#[derive(Debug)]
struct Options(HashMap<String, Vec<String>>);

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let mut args = args.iter();
        while let Some(name) = args.next() {
            let name = name
                .strip_prefix("--")
                .with_context(|| format!("expected --option, got `{name}`"))?;
            let value = args
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            map.entry(name.to_owned()).or_default().push(value.clone());
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Result<&str> {
        self.0
            .get(name)
            .and_then(|values| values.last())
            .map(String::as_str)
            .with_context(|| format!("--{name} is required"))
    }

    fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    fn number(&self, name: &str) -> Result<i64> {
        self.get(name)?
            .parse()
            .with_context(|| format!("--{name} must be a number"))
    }
}

/// The current TOTP code for a base32 secret.
fn totp_now(secret: &str) -> String {
    pli_server::testing::totp_code(secret, 0).unwrap_or_default()
}

/// Invites `email` to `org` as `inviter` and accepts as them.
async fn invite_and_accept(
    client: &Client,
    inviter: &Session,
    org: &OrgId,
    email: &str,
    name: &str,
    role: pli_api::Role,
) -> Result<Session> {
    let invitation = inviter
        .invite(org, email, name, role)
        .await
        .with_context(|| format!("cannot invite {email}"))?;
    let link = pli_client::protocol::OneTimeLink::parse(&invitation.link)
        .map_err(|e| anyhow!("the invitation link: {e}"))?;
    let root = link
        .root
        .context("the invitation link names no platform root")?;
    Session::accept_invitation(
        client,
        &link.token,
        PASSWORD,
        pli_server::testing::cheap_kdf()?,
        &root,
        None,
    )
    .await
    .with_context(|| format!("cannot accept the invitation of {email}"))
}

/// An organisation with its admin (TOTP on, first key published) and a certified member.
async fn organisation(
    client: &Client,
    platform: &Session,
    kind: OrgKind,
    name: &str,
    code: &str,
    domain: &str,
) -> Result<(OrgId, Session, u32)> {
    let org = platform
        .create_org(kind, name, code)
        .await
        .with_context(|| format!("cannot create {code}"))?;
    let mut admin = invite_and_accept(
        client,
        platform,
        &org,
        &format!("admin@{domain}"),
        "Administrateur",
        pli_api::Role::OrgAdmin,
    )
    .await?;
    platform
        .certify(&org, &admin.me.user_id)
        .await
        .context("cannot certify an organisation admin")?;
    admin.refresh_keys().await?;
    admin
        .enable_totp(totp_now)
        .await
        .context("cannot turn TOTP on")?;
    let generation = admin
        .rotate_org_key()
        .await
        .context("cannot publish the organisation key")?;
    // New organisations require a second factor of every member; the benchmark's members
    // have none (they log in again with their password and account key alone), so the
    // organisation relaxes it, as the chaos cast does.
    admin
        .set_second_factor(&org, pli_api::SecondFactor::Optional)
        .await
        .context("cannot make the second factor optional")?;
    let mut member = invite_and_accept(
        client,
        &admin,
        &org,
        &format!("member@{domain}"),
        "Membre",
        pli_api::Role::Member,
    )
    .await?;
    admin
        .certify(&org, &member.me.user_id)
        .await
        .context("cannot certify a member")?;
    member.refresh_keys().await?;
    Ok((org, member, generation))
}

async fn world(options: &Options) -> Result<serde_json::Value> {
    let client = Client::new(options.get("base")?);
    let mut platform = Session::setup_platform(
        &client,
        options.get("setup-token")?,
        "admin@plateforme.bench",
        "Administrateur plateforme",
        PASSWORD,
        pli_server::testing::cheap_kdf()?,
    )
    .await
    .context("cannot set up the platform")?;
    platform
        .enable_totp(totp_now)
        .await
        .context("cannot turn TOTP on for the platform admin")?;
    let (court, sender, _) = organisation(
        &client,
        &platform,
        OrgKind::Court,
        "Tribunal judiciaire de banc d'essai",
        "TJ-BENCH",
        "tj.bench",
    )
    .await?;
    let (dept, recipient, generation) = organisation(
        &client,
        &platform,
        OrgKind::Departement,
        "Département de banc d'essai — ASE",
        "D00-BENCH",
        "d00.bench",
    )
    .await?;
    Ok(json!({
        "sender_org": court.to_string(),
        "sender_user": sender.me.user_id.to_string(),
        "sender_email": sender.me.email,
        "sender_account_key": account_key(&sender)?,
        "sender_token": sender.token().context("the sender has no session token")?,
        "recipient_org": dept.to_string(),
        "recipient_user": recipient.me.user_id.to_string(),
        "recipient_email": recipient.me.email,
        "recipient_account_key": account_key(&recipient)?,
        "recipient_token": recipient.token().context("the recipient has no session token")?,
        "recipient_generation": generation,
    }))
}

/// The account key of a session, as the kit writes it.
fn account_key(session: &Session) -> Result<String> {
    Ok(session
        .account_key()
        .context("the account has no account key")?
        .to_text()
        .to_string())
}

/// Logs in as `--email` with `--account-key`.
async fn log_in(options: &Options) -> Result<Session> {
    let client = Client::new(options.get("base")?);
    let account_key = pli_crypto::account_key::AccountKey::parse(options.get("account-key")?)
        .map_err(|e| anyhow!("--account-key: {e}"))?;
    Session::login(
        &client,
        options.get("email")?,
        PASSWORD,
        Some(&account_key),
        None,
        None,
    )
    .await
    .context("cannot log in")
}

async fn login(options: &Options) -> Result<serde_json::Value> {
    let session = log_in(options).await?;
    Ok(json!({ "token": session.token().context("the session has no token")? }))
}

/// `SIZE:SHA256HEX`.
fn object_ref(text: &str) -> Result<ObjectRef> {
    let (size, hex) = text
        .split_once(':')
        .with_context(|| format!("--object {text}: expected SIZE:SHA256HEX"))?;
    let size = size.parse().context("bad object size")?;
    if hex.len() != 64 || !hex.is_ascii() {
        bail!("--object {text}: the SHA-256 must be 64 hex digits");
    }
    let mut sha256 = [0u8; 32];
    for (i, byte) in sha256.iter_mut().enumerate() {
        let digits = hex.get(2 * i..2 * i + 2).context("bad SHA-256")?;
        *byte = u8::from_str_radix(digits, 16).context("bad SHA-256")?;
    }
    Ok(ObjectRef { size, sha256 })
}

async fn complete(options: &Options) -> Result<serde_json::Value> {
    let session = log_in(options).await.context("as the sender")?;
    let exchange: ExchangeId = options
        .get("exchange")?
        .parse()
        .map_err(|e| anyhow!("--exchange: {e}"))?;
    let objects = options
        .all("object")
        .iter()
        .map(|text| object_ref(text))
        .collect::<Result<Vec<_>>>()?;
    let (manifest, files) = objects
        .split_first()
        .context("--object: give the manifest and at least one file")?;
    let detail: ExchangeDetail = session
        .client()
        .get(&format!("/api/exchanges/{exchange}"))
        .await
        .context("cannot read the exchange")?;
    let summary = detail.summary;
    let key = session
        .recipient_key(&summary.recipient_org_id)
        .await
        .context("cannot verify the recipient's key")?;
    let envelope = Envelope {
        exchange_id: exchange,
        sender_user_id: session.me.user_id,
        sender_key: session.keys.signing.verifying_key().fingerprint(),
        sender_org_id: session.me.org_id,
        sender_generation: None,
        recipient_org_id: summary.recipient_org_id,
        recipient_generation: key.key.generation,
        priority: if summary.urgent {
            Priority::Urgent
        } else {
            Priority::Normal
        },
        created_at: summary.created_at,
        expires_at: summary.expires_at,
        in_reply_to: summary.in_reply_to,
        manifest: *manifest,
        files: files.to_vec(),
        // The relay's benchmarks list rows; none decrypts a preview.
        preview: None,
    };
    let request = CompleteExchange {
        envelope: Signed::sign(&envelope, &session.keys.signing)?.to_wire(),
    };
    session
        .client()
        .post_empty(&format!("/api/exchanges/{exchange}/complete"), &request)
        .await
        .context("cannot complete the exchange")?;
    let _ = session.logout().await;
    Ok(json!({ "exchange_id": exchange.to_string(), "state": "delivered" }))
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

async fn connect(url: &str) -> Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .context("cannot open the database")?;
    if is_sqlite(url) {
        sqlx::query("PRAGMA busy_timeout = 30000")
            .execute(&mut conn)
            .await?;
    }
    Ok(conn)
}

/// The columns every seeded row fills (all of `exchanges` but `purged_at`).
const SEED_COLUMNS: &str = "id, sender_org_id, sender_user_id, recipient_org_id, recipient_generation, \
     sender_generation, priority, state, idempotency_key, request_hash, in_reply_to, object_count, \
     total_size, envelope, envelope_signature, sender_fingerprint, created_at, expires_at, \
     delivered_at, first_read_at";

/// Row number `i` (from `$1` to `$2`): delivered a minute after row `i - 1`, starting at
/// `$7`; urgent when `i % 10 = 0`; read ten seconds after delivery when `i % 3 = 0`.
/// `{id}` is the dialect's way to write the id, `{bytes}` a one-byte value.
const SEED_VALUES: &str = "{id}, $3, $4, $5, $6, NULL, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, \
     'delivered', NULL, {bytes}, NULL, 2, 65536 + i % 1000, NULL, NULL, NULL, $7 + i * 60000 - 5000, \
     $8, $7 + i * 60000, CASE WHEN i % 3 = 0 THEN $7 + i * 60000 + 10000 ELSE NULL END";

async fn seed(options: &Options) -> Result<serde_json::Value> {
    let url = options.get("database-url")?;
    let (from, to) = (options.number("from")?, options.number("to")?);
    if from < 1 || to < from {
        bail!("--from and --to must be 1 ≤ from ≤ to");
    }
    let now = i64::try_from(pli_server::now_ms()).context("the clock")?;
    // A minute apart, the newest a day ago: older than anything sent through the API.
    // Row numbers only grow, so a later batch is newer than an earlier one.
    let first_at = now - 86_400_000 - 2_000_000 * 60_000;
    let expires_at = now + 365 * 86_400_000;
    let sql = if is_sqlite(url) {
        let values = SEED_VALUES
            .replace(
                "{id}",
                &format!("printf('{SEED_TAG}-0000-4000-8000-%012x', i)"),
            )
            .replace("{bytes}", "X'00'");
        format!(
            "INSERT INTO exchanges ({SEED_COLUMNS}) WITH RECURSIVE n(i) AS \
             (SELECT CAST($1 AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
             SELECT {values} FROM n"
        )
    } else {
        let values = SEED_VALUES
            .replace(
                "{id}",
                &format!("'{SEED_TAG}-0000-4000-8000-' || lpad(to_hex(i), 12, '0')"),
            )
            .replace("{bytes}", "decode('00', 'hex')");
        format!(
            "INSERT INTO exchanges ({SEED_COLUMNS}) SELECT {values} \
             FROM generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS i"
        )
    };
    let mut conn = connect(url).await?;
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    let inserted = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .bind(options.get("sender-org")?.to_owned())
        .bind(options.get("sender-user")?.to_owned())
        .bind(options.get("recipient-org")?.to_owned())
        .bind(options.number("generation")?)
        .bind(first_at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .context("cannot insert the exchanges")?
        .rows_affected();
    tx.commit().await?;
    let insert_seconds = started.elapsed().as_secs_f64();
    if !is_sqlite(url) {
        sqlx::query("ANALYZE exchanges").execute(&mut conn).await?;
    }
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM exchanges")
        .fetch_one(&mut conn)
        .await?
        .try_get("n")?;
    Ok(json!({
        "inserted": inserted,
        "exchanges": total,
        "insert_seconds": insert_seconds,
        "total_seconds": started.elapsed().as_secs_f64(),
    }))
}

/// The inbox query of `Store::list_exchanges` (no filter), with or without the cursor
/// condition. Keep in step with `crates/pli-server/src/store/exchanges.rs`.
fn inbox_sql(with_cursor: bool) -> String {
    let columns = "id, sender_org_id, sender_user_id, recipient_org_id, recipient_generation, \
     sender_generation, priority, state, idempotency_key, request_hash, in_reply_to, object_count, total_size, \
     envelope, envelope_signature, sender_fingerprint, created_at, expires_at, delivered_at, first_read_at";
    let mut sql = format!(
        "SELECT {columns} FROM exchanges WHERE recipient_org_id = $1 AND state = 'delivered'"
    );
    let limit = if with_cursor {
        sql.push_str(
            " AND (priority < $2 OR (priority = $2 AND (delivered_at < $3 OR (delivered_at = $3 AND id < $4))))",
        );
        "$5"
    } else {
        "$2"
    };
    sql.push_str(&format!(
        " ORDER BY priority DESC, delivered_at DESC, id DESC LIMIT {limit}"
    ));
    sql
}

async fn explain(options: &Options) -> Result<String> {
    let url = options.get("database-url")?;
    let org = options.get("recipient-org")?.to_owned();
    let mut conn = connect(url).await?;
    let sqlite = is_sqlite(url);
    let prefix = if sqlite {
        "EXPLAIN QUERY PLAN "
    } else {
        "EXPLAIN (ANALYZE, BUFFERS) "
    };
    let column = if sqlite { "detail" } else { "QUERY PLAN" };
    // The last row of the first page is the second page's cursor.
    let first_page = sqlx::query(&inbox_sql(false))
        .bind(org.clone())
        .bind(51_i64)
        .fetch_all(&mut conn)
        .await
        .context("cannot read the first page")?;
    let last = first_page
        .get(49)
        .context("the inbox has fewer than 50 exchanges")?;
    let priority: i64 = last.try_get("priority")?;
    let at: i64 = last.try_get("delivered_at")?;
    let id: String = last.try_get("id")?;

    let mut out = String::new();
    for page in [1, 2] {
        let sql = format!("{prefix}{}", inbox_sql(page == 2));
        let mut query = sqlx::query(&sql).bind(org.clone());
        if page == 2 {
            query = query.bind(priority).bind(at).bind(id.clone());
        }
        let started = Instant::now();
        let rows = query
            .bind(51_i64)
            .fetch_all(&mut conn)
            .await
            .with_context(|| format!("cannot explain page {page}"))?;
        let took = started.elapsed().as_secs_f64() * 1000.0;
        out.push_str(&format!("page {page} (explained in {took:.2} ms):\n"));
        for row in &rows {
            out.push_str(&format!("  {}\n", row.try_get::<String, _>(column)?));
        }
    }
    Ok(out.trim_end().to_owned())
}
