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
//!   --generation N --from I --to J`: the first time, 100 organisations (random ids) and
//!   500 certified people in them, copies of the sender's rows; then inserts delivered
//!   exchanges number I to J (one in ten urgent, one in three read) from those 500 people
//!   to the recipient in one statement, each with a real envelope (one file, a preview
//!   sealed to two post-quantum keys, an Ed25519 signature: the same bytes in every row).
//!   On PostgreSQL it then runs `ANALYZE`, as autovacuum would soon after such a load;
//!   the relay never analyses a SQLite database, so neither does this.
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
use pli_crypto::envelope::{Envelope, Hashing, ObjectRef, Priority};
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
        // `--object` gives each object's whole SHA-256: format 1, which the relay accepts.
        hashing: Hashing::Whole,
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

/// Organisations the seeded exchanges come from (random ids, as the relay makes them).
const SENDER_ORGS: usize = 100;
/// People the seeded exchanges come from, spread over [`SENDER_ORGS`]: a page of fifty
/// rows names about fifty different senders, whose certificates the listing serves.
const SENDERS: usize = 500;
/// The address of seeded sender number `k`.
const SENDER_EMAIL: (&str, &str) = ("sender-", "@seed.bench");

/// The columns every seeded row fills (all of `exchanges` but `purged_at`).
const SEED_COLUMNS: &str = "id, sender_org_id, sender_user_id, recipient_org_id, recipient_generation, \
     sender_generation, priority, state, idempotency_key, request_hash, in_reply_to, object_count, \
     total_size, envelope, envelope_signature, sender_fingerprint, created_at, expires_at, \
     delivered_at, first_read_at";

/// Row number `i` (from `$1` to `$2`): from seeded sender `i % SENDERS` (`u`, with their
/// certificate `c`); delivered a minute after row `i - 1`, starting at `$5`; urgent when
/// `i % 10 = 0`; read ten seconds after delivery when `i % 3 = 0`; the envelope `$7` signed
/// `$8`. `{id}` is the dialect's way to write the id, `{bytes}` a one-byte value.
const SEED_VALUES: &str = "{id}, u.org_id, u.id, $3, $4, NULL, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, \
     'delivered', NULL, {bytes}, NULL, 2, 65536 + i % 1000, $7, $8, c.fingerprint, $5 + i * 60000 - 5000, \
     $6, $5 + i * 60000, CASE WHEN i % 3 = 0 THEN $5 + i * 60000 + 10000 ELSE NULL END";

/// Joins row number `i` to its sender and their certificate.
fn seed_join() -> String {
    format!(
        "JOIN users u ON u.email = '{}' || (i % {SENDERS}) || '{}' \
         JOIN user_certificates c ON c.user_id = u.id",
        SENDER_EMAIL.0, SENDER_EMAIL.1
    )
}

fn random_id<K>() -> Result<pli_api::Id<K>> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(pli_api::Id::from_random(bytes))
}

/// [`SENDER_ORGS`] courts and [`SENDERS`] certified people, unless a previous `seed` made
/// them: each organisation a copy of `--sender-org`'s row with a new random id, each
/// person a copy of `--sender-user`'s row and current certificate (real sizes: a
/// post-quantum key, an admin's signature) under a new id and signing-key fingerprint.
/// The relay serves these bytes in lists and verifies none of them.
async fn seed_senders(conn: &mut sqlx::AnyConnection, options: &Options) -> Result<usize> {
    let like = format!("{}%{}", SENDER_EMAIL.0, SENDER_EMAIL.1);
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE email LIKE $1")
        .bind(like)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    if existing > 0 {
        return Ok(0);
    }
    // Parsed, so the ids are safe to write into the statements below.
    let court: OrgId = options
        .get("sender-org")?
        .parse()
        .map_err(|e| anyhow!("--sender-org: {e}"))?;
    let sender: pli_api::UserId = options
        .get("sender-user")?
        .parse()
        .map_err(|e| anyhow!("--sender-user: {e}"))?;
    let cert = sqlx::query(
        "SELECT issuer_fingerprint, certificate, certificate_signature FROM user_certificates \
         WHERE user_id = $1 AND superseded_at IS NULL",
    )
    .bind(sender.to_string())
    .fetch_one(&mut *conn)
    .await
    .context("the sender has no current certificate")?;
    let issuer: String = cert.try_get("issuer_fingerprint")?;
    let certificate: Vec<u8> = cert.try_get("certificate")?;
    let signature: Vec<u8> = cert.try_get("certificate_signature")?;
    let mut tx = conn.begin().await?;
    for statement in [
        format!(
            "CREATE TEMPORARY TABLE seed_org AS SELECT * FROM organisations WHERE id = '{court}'"
        ),
        format!("CREATE TEMPORARY TABLE seed_user AS SELECT * FROM users WHERE id = '{sender}'"),
    ] {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    let mut orgs = Vec::with_capacity(SENDER_ORGS);
    for n in 0..SENDER_ORGS {
        let org: OrgId = random_id()?;
        sqlx::query("UPDATE seed_org SET id = $1, code = $2, name = $3")
            .bind(org.to_string())
            .bind(format!("TJ-SEED-{n}"))
            .bind(format!("Tribunal judiciaire n° {n}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO organisations SELECT * FROM seed_org")
            .execute(&mut *tx)
            .await?;
        orgs.push(org);
    }
    for k in 0..SENDERS {
        let user: pli_api::UserId = random_id()?;
        let org = orgs
            .get(k % SENDER_ORGS)
            .context("no organisation to seed people into")?;
        sqlx::query("UPDATE seed_user SET id = $1, org_id = $2, email = $3")
            .bind(user.to_string())
            .bind(org.to_string())
            .bind(format!("{}{k}{}", SENDER_EMAIL.0, SENDER_EMAIL.1))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO users SELECT * FROM seed_user")
            .execute(&mut *tx)
            .await?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| anyhow!("no randomness: {e}"))?;
        let fingerprint: String = key.iter().map(|b| format!("{b:02x}")).collect();
        sqlx::query(
            "INSERT INTO user_certificates (fingerprint, user_id, issuer_fingerprint, certificate, \
             certificate_signature, created_at, superseded_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(fingerprint)
        .bind(user.to_string())
        .bind(issuer.clone())
        .bind(certificate.clone())
        .bind(signature.clone())
        .bind(1_i64)
        .execute(&mut *tx)
        .await?;
    }
    for table in ["seed_org", "seed_user"] {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(SENDERS)
}

/// A real envelope, as a send signs it: one file, and the preview sealed to two
/// post-quantum (MLKEM768-X25519) recipients, the receiving and the sending organisation's
/// keys. Every seeded row carries these bytes (the relay stores and serves them as they
/// are); returns the signed bytes and the signature.
fn real_envelope(
    options: &Options,
    created_at: u64,
    expires_at: u64,
) -> Result<(Vec<u8>, Vec<u8>)> {
    use pli_crypto::keys::UserKeys;
    use pli_crypto::preview::Preview;
    let exchange: ExchangeId = random_id()?;
    let (recipient_org, sender_org) = (UserKeys::generate()?, UserKeys::generate()?);
    let recipients = [
        recipient_org.public().encryption.recipient()?,
        sender_org.public().encryption.recipient()?,
    ];
    let preview = Preview {
        exchange_id: exchange,
        category: pli_api::Category::Rapport,
        subject: "Rapport d'évaluation — situation de l'enfant".to_owned(),
        case_reference: "2026/00123".to_owned(),
        size: 2 << 20,
    }
    .seal(&recipients)?;
    let signing = pli_crypto::sign::SigningKey::generate()?;
    let envelope = Envelope {
        exchange_id: exchange,
        sender_user_id: options
            .get("sender-user")?
            .parse()
            .map_err(|e| anyhow!("--sender-user: {e}"))?,
        sender_key: signing.verifying_key().fingerprint(),
        sender_org_id: options
            .get("sender-org")?
            .parse()
            .map_err(|e| anyhow!("--sender-org: {e}"))?,
        sender_generation: Some(1),
        recipient_org_id: options
            .get("recipient-org")?
            .parse()
            .map_err(|e| anyhow!("--recipient-org: {e}"))?,
        recipient_generation: u32::try_from(options.number("generation")?)?,
        priority: Priority::Normal,
        created_at,
        expires_at,
        in_reply_to: None,
        hashing: Hashing::Parts {
            part_size: 16 << 20,
        },
        manifest: ObjectRef {
            size: 4096,
            sha256: [1; 32],
        },
        files: vec![ObjectRef {
            size: 2 << 20,
            sha256: [2; 32],
        }],
        preview: Some(preview),
    };
    let signed = Signed::sign(&envelope, &signing)?;
    Ok((signed.data().to_vec(), signed.signature().to_vec()))
}

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
    let (envelope, signature) = real_envelope(
        options,
        u64::try_from(first_at)?,
        u64::try_from(expires_at)?,
    )?;
    let join = seed_join();
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
             SELECT {values} FROM n {join}"
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
             FROM generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS i {join}"
        )
    };
    let mut conn = connect(url).await?;
    let started = Instant::now();
    let senders = seed_senders(&mut conn, options).await?;
    let mut tx = conn.begin().await?;
    let inserted = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .bind(options.get("recipient-org")?.to_owned())
        .bind(options.number("generation")?)
        .bind(first_at)
        .bind(expires_at)
        .bind(envelope.clone())
        .bind(signature)
        .execute(&mut *tx)
        .await
        .context("cannot insert the exchanges")?
        .rows_affected();
    tx.commit().await?;
    let insert_seconds = started.elapsed().as_secs_f64();
    if !is_sqlite(url) {
        for table in ["exchanges", "users", "user_certificates"] {
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(&mut conn)
                .await?;
        }
    }
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM exchanges")
        .fetch_one(&mut conn)
        .await?
        .try_get("n")?;
    Ok(json!({
        "inserted": inserted,
        "exchanges": total,
        "senders_created": senders,
        "envelope_bytes": envelope.len(),
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
    // The page's senders' certificates, as `Store::user_certificates` reads them.
    let fingerprints: Vec<String> = sqlx::query(
        "SELECT DISTINCT c.fingerprint FROM user_certificates c JOIN users u ON u.id = c.user_id \
         WHERE u.email LIKE $1 LIMIT 50",
    )
    .bind(format!("{}%{}", SENDER_EMAIL.0, SENDER_EMAIL.1))
    .fetch_all(&mut conn)
    .await?
    .iter()
    .map(|row| row.try_get("fingerprint"))
    .collect::<Result<_, _>>()?;
    let placeholders: Vec<String> = (1..=fingerprints.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "{prefix}SELECT * FROM user_certificates WHERE fingerprint IN ({}) \
         ORDER BY fingerprint, created_at DESC",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for fingerprint in &fingerprints {
        query = query.bind(fingerprint.clone());
    }
    let started = Instant::now();
    let rows = query.fetch_all(&mut conn).await?;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    out.push_str(&format!(
        "{} senders' certificates (explained in {took:.2} ms):\n",
        fingerprints.len()
    ));
    for row in &rows {
        out.push_str(&format!("  {}\n", row.try_get::<String, _>(column)?));
    }
    if !sqlite {
        // The benchmark's cluster is a throwaway one: say how it writes.
        for setting in ["fsync", "synchronous_commit", "shared_buffers"] {
            let value: String = sqlx::query(&format!("SHOW {setting}"))
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
            out.push_str(&format!("PostgreSQL {setting} = {value}\n"));
        }
    }
    Ok(out.trim_end().to_owned())
}
