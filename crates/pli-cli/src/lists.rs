//! `pli directory`, `pli inbox`, `pli outbox`: what the relay lists, each entry verified
//! by pli-client to the pinned root before it is shown as more than the relay's word.

use std::collections::BTreeMap;

use anyhow::Result;
use pli_api::OrgId;
use pli_api::messages::ExchangeQuery;
use pli_client::Session;
use pli_client::protocol::{Listed, Mailbox};
use serde::Serialize;

use crate::output::{Output, utc};

/// `pli directory`, `pli inbox` and `pli outbox` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    output: Output,
}

/// One organisation of `pli directory`.
#[derive(Debug, Serialize)]
struct Organisation {
    id: String,
    /// The name as the platform root certified it (the relay's word if `verified` is false).
    name: String,
    /// The certified code (what pli send --to takes); empty if not verified.
    code: String,
    kind: String,
    /// Whether its certificate and current key verified to the pinned root and the log.
    verified: bool,
    /// Its current key, if verified.
    key: Option<Key>,
    /// Why it did not verify (no key yet, a suspended key, a forged certificate…).
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Key {
    generation: u32,
    /// SHA-256 of the public encryption key, 64 hexadecimal digits.
    fingerprint: String,
    post_quantum: bool,
}

/// `pli directory`.
pub(crate) fn directory(args: ListArgs) -> Result<()> {
    let organisations = crate::account::with_session(async |session, _| {
        let entries = session.verified_directory().await?;
        Ok(entries
            .into_iter()
            .map(|entry| match entry.key {
                Ok(key) => Organisation {
                    id: key.org.org_id.to_string(),
                    name: key.org.name.clone(),
                    code: key.org.code.clone(),
                    kind: key.org.kind.to_string(),
                    verified: true,
                    key: Some(Key {
                        generation: key.key.generation,
                        fingerprint: key.fingerprint().to_hex(),
                        post_quantum: key.is_post_quantum(),
                    }),
                    error: None,
                },
                Err(error) => Organisation {
                    id: entry.org.org_id.to_string(),
                    name: entry.org.name,
                    code: String::new(),
                    kind: entry.org.kind.to_string(),
                    verified: false,
                    key: None,
                    error: Some(error.to_string()),
                },
            })
            .collect::<Vec<_>>())
    })?;
    args.output.print(&organisations, || {
        let mut text = String::new();
        for org in &organisations {
            match (&org.key, &org.error) {
                (Some(key), _) => text.push_str(&format!(
                    "{}  {}  ({})\n  key {} generation {}{}\n",
                    org.code,
                    org.name,
                    org.id,
                    key.fingerprint,
                    key.generation,
                    if key.post_quantum {
                        ", post-quantum"
                    } else {
                        ""
                    }
                )),
                (None, error) => text.push_str(&format!(
                    "NOT VERIFIED  {}  ({}): {}\n",
                    org.name,
                    org.id,
                    error.as_deref().unwrap_or_default()
                )),
            }
        }
        text
    })
}

/// One exchange of `pli inbox` or `pli outbox`.
#[derive(Debug, Serialize)]
struct Row {
    exchange_id: String,
    /// uploading, delivered, expired or abandoned.
    state: String,
    urgent: bool,
    sender_org_id: String,
    recipient_org_id: String,
    /// The other organisation's certified name.
    counterpart: String,
    file_count: u32,
    created_at: u64,
    delivered_at: Option<u64>,
    expires_at: u64,
    /// When someone of the recipient organisation first read it (signed receipt), as the
    /// relay reports it; `pli receive` verifies the receipts' signatures.
    read_at: Option<u64>,
    /// read: the envelope verified and its preview below decrypted; sealed: verified but
    /// no preview to read; pending: not delivered yet; unverified: only the relay's word.
    verification: &'static str,
    sender_name: Option<String>,
    /// The sender is a service account (a program), as its certificate says.
    sender_service: Option<bool>,
    category: Option<String>,
    subject: Option<String>,
    case_reference: Option<String>,
    /// The files' plaintext sizes added up.
    size: Option<u64>,
}

fn row(
    summary: pli_api::messages::ExchangeSummary,
    listed: Listed,
    mailbox: Mailbox,
    names: &BTreeMap<OrgId, String>,
) -> Row {
    let counterpart = match mailbox {
        Mailbox::Inbox => summary.sender_org_id,
        Mailbox::Outbox => summary.recipient_org_id,
    };
    let mut row = Row {
        exchange_id: summary.exchange_id.to_string(),
        state: summary.state.to_string(),
        urgent: summary.urgent,
        sender_org_id: summary.sender_org_id.to_string(),
        recipient_org_id: summary.recipient_org_id.to_string(),
        counterpart: names.get(&counterpart).cloned().unwrap_or_default(),
        file_count: summary.file_count,
        created_at: summary.created_at,
        delivered_at: summary.delivered_at,
        expires_at: summary.expires_at,
        read_at: summary.first_read_at,
        verification: "unverified",
        sender_name: None,
        sender_service: None,
        category: None,
        subject: None,
        case_reference: None,
        size: None,
    };
    match listed {
        Listed::Read(preview) => {
            row.verification = "read";
            row.sender_name = Some(preview.sender_name);
            row.sender_service = Some(preview.sender_service);
            row.category = Some(preview.category.to_string());
            row.subject = Some(preview.subject);
            row.case_reference = Some(preview.case_reference);
            row.size = Some(preview.size);
        }
        Listed::Sealed {
            sender_name,
            sender_service,
        } => {
            row.verification = "sealed";
            row.sender_name = Some(sender_name);
            row.sender_service = Some(sender_service);
        }
        Listed::Pending => row.verification = "pending",
        Listed::Unverified => {}
    }
    row
}

async fn mailbox_rows(session: &Session, mailbox: Mailbox) -> Result<Vec<Row>> {
    let names: BTreeMap<OrgId, String> = session.certified_org_names().await?.into_iter().collect();
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let query = ExchangeQuery {
            cursor,
            ..ExchangeQuery::default()
        };
        let page = session.list(mailbox, query).await?;
        rows.extend(
            page.rows
                .into_iter()
                .map(|listed| row(listed.summary, listed.preview, mailbox, &names)),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
}

fn print_rows(output: &Output, rows: &[Row], mailbox: Mailbox) -> Result<()> {
    output.print(&rows, || {
        let mut text = String::new();
        for row in rows {
            let direction = match mailbox {
                Mailbox::Inbox => "from",
                Mailbox::Outbox => "to",
            };
            let receipt = match row.read_at {
                Some(at) => format!("read {}", utc(at)),
                None => "not read".to_owned(),
            };
            text.push_str(&format!(
                "{}  {}{}  {direction} {}  {}  {receipt}\n",
                row.exchange_id,
                row.state,
                if row.urgent { ", URGENT" } else { "" },
                row.counterpart,
                utc(row.created_at),
            ));
            match (&row.subject, row.verification) {
                (Some(subject), _) => text.push_str(&format!(
                    "  {} — {} ({}) — {}\n",
                    row.category.as_deref().unwrap_or_default(),
                    subject,
                    row.case_reference.as_deref().unwrap_or_default(),
                    row.sender_name.as_deref().unwrap_or_default()
                )),
                (None, "unverified") => text.push_str("  DID NOT VERIFY: the relay's word only\n"),
                (None, _) => {}
            }
        }
        text
    })
}

/// `pli inbox`.
pub(crate) fn inbox(args: ListArgs) -> Result<()> {
    let rows = crate::account::with_session(async |session, _| {
        mailbox_rows(session, Mailbox::Inbox).await
    })?;
    print_rows(&args.output, &rows, Mailbox::Inbox)
}

/// `pli outbox`.
pub(crate) fn outbox(args: ListArgs) -> Result<()> {
    let rows = crate::account::with_session(async |session, _| {
        mailbox_rows(session, Mailbox::Outbox).await
    })?;
    print_rows(&args.output, &rows, Mailbox::Outbox)
}
