//! The worker's answers to the administration pages that do more than forward a call:
//! creating an organisation, rotating my organisation's key (which the session then
//! holds), the key history verified up to the root, and audit logs.

use pli_api::ErrorCode;
use pli_crypto::cert::OrgKind;
use pli_crypto::sign::Fingerprint;

use super::{answer, session, update_session};
use crate::protocol::{
    Audit, AuditSource, CreateOrg, KeyGeneration, KeyHistory, MoveToPostQuantum, Rotate,
    VerifiedKey, WorkerError,
};

/// Creates an organisation (a court or a Département).
pub(super) async fn create_org(r: CreateOrg) -> Result<String, WorkerError> {
    if r.kind == OrgKind::Platform {
        return Err(WorkerError::new(
            ErrorCode::BadRequest,
            "the platform's organisation is made at set-up only",
        ));
    }
    let org = session()?.create_org(r.kind, &r.name, &r.code).await?;
    answer(&r, &org)
}

/// Publishes a new key generation of my organisation, and holds it.
pub(super) async fn rotate(r: Rotate) -> Result<String, WorkerError> {
    let session = session()?;
    let (generation, key) = session.publish_org_key().await?;
    update_session(session.me.user_id, |s| {
        s.org_keys.insert(generation, key);
    })?;
    answer(&r, &generation)
}

/// « Passer aux clés post-quantiques »: certifies the members' new keys and, once every
/// active member has one, publishes a post-quantum generation, and holds it.
pub(super) async fn move_to_post_quantum(r: MoveToPostQuantum) -> Result<String, WorkerError> {
    let session = session()?;
    let (progress, published) = session.advance_to_post_quantum().await?;
    if let Some((generation, key)) = published {
        update_session(session.me.user_id, |s| {
            s.org_keys.insert(generation, key);
        })?;
    }
    answer(&r, &progress)
}

/// An organisation's key generations, each verified up to the root.
pub(super) async fn key_history(r: KeyHistory) -> Result<String, WorkerError> {
    let history = session()?.key_history(&r.org).await?;
    let rows: Vec<KeyGeneration> = history
        .into_iter()
        .map(|(entry, verified)| KeyGeneration {
            generation: entry.generation,
            suspended: entry.suspended,
            verified: verified.ok().map(|v| VerifiedKey {
                fingerprint: Fingerprint::of_encryption_key(&v.key.public_key).to_string(),
                issuer: v.issuer.display_name,
                issued_at: v.key.issued_at,
                post_quantum: v.key.public_key.is_post_quantum(),
            }),
        })
        .collect();
    answer(&r, &rows)
}

/// A page of an organisation's or the platform's audit log.
pub(super) async fn audit(r: Audit) -> Result<String, WorkerError> {
    let session = session()?;
    let entries = match r.source {
        AuditSource::Org(org) => session.org_audit(&org, r.query.clone()).await?,
        AuditSource::Platform => session.platform_audit(r.query.clone()).await?,
    };
    answer(&r, &entries)
}
