//! Passkeys, natively, against the real relay and `webauthn-rs`: a software authenticator
//! (ECDSA P-256, "none" attestation, user verified, a PRF output of its own) stands in
//! for the browser's. Chromium's virtual authenticator drives the same ceremonies in the
//! browser tests (`tests/e2e/account.rs`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use pli_api::ErrorCode;
use pli_api::messages::PasskeyInfo;
use pli_client::{Client, Session};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::harness::{Backend, PASSWORD, data, file, options, spawn_app_with, world_on};

/// A software authenticator holding one passkey.
pub(super) struct Authenticator {
    key: p256::ecdsa::SigningKey,
    pub(super) credential_id: Vec<u8>,
    counter: u32,
    /// What its PRF gives on Pli's input (a real one computes HMAC(credRandom, input)).
    pub(super) prf: [u8; 32],
    /// Whether it says it verified the user (a PIN, a fingerprint): real passkeys do.
    user_verified: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text.as_str().unwrap()).unwrap()
}

/// CBOR heads for the few shapes an attestation object needs.
fn cbor_head(major: u8, len: usize, out: &mut Vec<u8>) {
    let major = major << 5;
    match len {
        0..=23 => out.push(major | len as u8),
        24..=255 => out.extend([major | 24, len as u8]),
        _ => {
            out.push(major | 25);
            out.extend((len as u16).to_be_bytes());
        }
    }
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len(), out);
    out.extend(text.as_bytes());
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len(), out);
    out.extend(bytes);
}

impl Authenticator {
    pub(super) fn new(seed: u8) -> Self {
        Self {
            key: p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap(),
            credential_id: vec![seed; 16],
            counter: 0,
            prf: [seed ^ 0x5a; 32],
            user_verified: true,
        }
    }

    fn client_data(kind: &str, challenge: &Value, origin: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    fn auth_data(&mut self, rp_id: &str, attested: bool) -> Vec<u8> {
        self.counter += 1;
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        // User present, user verified (unless told not to), and (at creation) attested
        // credential data.
        let verified = if self.user_verified { 0x04 } else { 0 };
        data.push(0x01 | verified | if attested { 0x40 } else { 0 });
        data.extend(self.counter.to_be_bytes());
        if attested {
            data.extend([0; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            let point = self.key.verifying_key().to_sec1_point(false);
            let point = point.as_bytes();
            // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
            data.extend([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
            cbor_bytes(&point[1..33], &mut data);
            data.push(0x22);
            cbor_bytes(&point[33..65], &mut data);
        }
        data
    }

    /// `navigator.credentials.create(options)`, answered as `toJSON()` does.
    pub(super) fn create(&mut self, options: &str, origin: &str) -> String {
        let options: Value = serde_json::from_str(options).unwrap();
        let rp_id = options["rp"]["id"].as_str().unwrap().to_owned();
        let client_data = Self::client_data("webauthn.create", &options["challenge"], origin);
        let auth_data = self.auth_data(&rp_id, true);
        let mut attestation = vec![0xa3];
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        attestation.push(0xa0);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&auth_data, &mut attestation);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": { "prf": { "enabled": true } },
        })
        .to_string()
    }

    /// Adds this passkey to the account of `session`, as « Mon compte » does.
    pub(super) async fn enrol(&mut self, session: &Session, origin: &str) -> PasskeyInfo {
        let ceremony = session.passkey_begin().await.unwrap();
        let answer = self.create(&ceremony.options, origin);
        session
            .passkey_add(&ceremony.ceremony, &answer, &self.credential_id, &self.prf)
            .await
            .unwrap()
    }

    /// Logs `email` in with this passkey, as the login page does (with `prf` as the
    /// passkey's PRF output).
    pub(super) async fn log_in(
        &mut self,
        client: &Client,
        email: &str,
        origin: &str,
        user: &pli_api::UserId,
        prf: &[u8],
    ) -> Result<Session, pli_client::ClientError> {
        let ceremony = Session::passkey_login_begin(client, email).await?;
        let assertion = self
            .get(&ceremony.options, origin, user)
            .expect("the options name the passkey");
        Session::login_with_passkey(
            client,
            &ceremony.ceremony,
            &assertion,
            &self.credential_id,
            prf,
            None,
        )
        .await
    }

    /// `navigator.credentials.get(options)`, if the options allow this passkey.
    pub(super) fn get(
        &mut self,
        options: &str,
        origin: &str,
        user: &pli_api::UserId,
    ) -> Option<String> {
        let options: Value = serde_json::from_str(options).unwrap();
        let allowed = options["allowCredentials"].as_array().unwrap();
        if !allowed
            .iter()
            .any(|c| unb64(&c["id"]) == self.credential_id)
        {
            return None;
        }
        Some(self.sign(&options, origin, user))
    }

    /// An assertion over whatever challenge the options carry.
    fn sign(&mut self, options: &Value, origin: &str, user: &pli_api::UserId) -> String {
        let rp_id = options["rpId"].as_str().unwrap().to_owned();
        let client_data = Self::client_data("webauthn.get", &options["challenge"], origin);
        let auth_data = self.auth_data(&rp_id, false);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: p256::ecdsa::Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(user.as_bytes()),
            },
            "clientExtensionResults": { "prf": { "results": { "first": b64(&self.prf) } } },
        })
        .to_string()
    }
}

/// A member adds a passkey; a fresh device logs in with it alone — no password, no
/// account key — and opens a pli; a replayed answer, another passkey's PRF output, an
/// address without passkeys and a removed passkey are each refused.
#[tokio::test]
async fn a_passkey_alone_logs_in_and_unlocks_the_keys_and_nothing_else_does() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && std::env::var_os("PLI_TEST_DATABASE_URL").is_none() {
            assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
            continue;
        }
        passkey_story(backend).await;
    }
}

async fn passkey_story(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.public_url = "http://localhost".into()).await;
    let origin = app.state.config.public_url.clone();
    assert!(origin.starts_with("http://localhost:"), "{origin}");
    let w = world_on(app).await;
    let greffier = &w.greffier;
    let user = greffier.session.me.user_id;
    let mut authenticator = Authenticator::new(3);

    // Added from « Mon compte »: what it unlocks is sealed under its PRF output.
    let ceremony = greffier.session.passkey_begin().await.unwrap();
    let answer = authenticator.create(&ceremony.options, &origin);
    let added = greffier
        .session
        .passkey_add(
            &ceremony.ceremony,
            &answer,
            &authenticator.credential_id,
            &authenticator.prf,
        )
        .await
        .unwrap();
    assert_eq!(added.device, "pli");
    let listed = greffier.session.passkeys().await.unwrap();
    assert_eq!(listed, vec![added.clone()]);
    // The ceremony was used once.
    let again = greffier
        .session
        .passkey_add(
            &ceremony.ceremony,
            &answer,
            &authenticator.credential_id,
            &authenticator.prf,
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::PasskeyInvalid, "{again}");

    // A pli for the court, to open after the passkey login.
    let plaintext = data(70_000, 9);
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("rapport.pdf", plaintext.clone())],
            &options("Passkey"),
        )
        .await
        .unwrap();

    // A fresh device: only the address and the passkey.
    let fresh = Client::new(&w.app.base);
    let prf = authenticator.prf;
    let session = authenticator
        .log_in(&fresh, &greffier.email, &origin, &user, &prf)
        .await
        .unwrap();
    let received = session.open(&id).await.unwrap();
    let mut opened = Vec::new();
    session
        .download_file(&received, 0, &mut opened)
        .await
        .unwrap();
    assert!(opened == plaintext, "the file came back altered");
    // The account key came with the keys: the password can be proved from here.
    assert_eq!(session.account_key(), greffier.session.account_key());
    session.reauth(PASSWORD, None).await.unwrap();
    assert!(
        greffier.session.passkeys().await.unwrap()[0]
            .last_used_at
            .is_some()
    );

    // An answer used once: its ceremony is spent; on a new ceremony, its challenge is not
    // that one's.
    let ceremony = Session::passkey_login_begin(&fresh, &greffier.email)
        .await
        .unwrap();
    let assertion = authenticator
        .get(&ceremony.options, &origin, &user)
        .unwrap();
    Session::login_with_passkey(
        &fresh,
        &ceremony.ceremony,
        &assertion,
        &authenticator.credential_id,
        &authenticator.prf,
        None,
    )
    .await
    .unwrap();
    let replayed = Session::login_with_passkey(
        &fresh,
        &ceremony.ceremony,
        &assertion,
        &authenticator.credential_id,
        &authenticator.prf,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(replayed.code(), ErrorCode::PasskeyInvalid, "{replayed}");
    let other = Session::passkey_login_begin(&fresh, &greffier.email)
        .await
        .unwrap();
    let replayed = Session::login_with_passkey(
        &fresh,
        &other.ceremony,
        &assertion,
        &authenticator.credential_id,
        &authenticator.prf,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(replayed.code(), ErrorCode::PasskeyInvalid, "{replayed}");

    // An authenticator that did not verify the user (only touched, no PIN or biometric)
    // is not a second factor: refused.
    authenticator.user_verified = false;
    let unverified = authenticator
        .log_in(&fresh, &greffier.email, &origin, &user, &prf)
        .await
        .unwrap_err();
    assert_eq!(unverified.code(), ErrorCode::PasskeyInvalid, "{unverified}");
    authenticator.user_verified = true;

    // The right signature with another PRF output (an authenticator that evaluates
    // another input, or a relay that swapped the sealed value): nothing unlocks.
    let wrong = authenticator
        .log_in(&fresh, &greffier.email, &origin, &user, &[0; 32])
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::PasskeyUnlock, "{wrong}");

    // An address without passkeys gets the same shape of options, stable from one ask to
    // the next, naming credentials that do not exist (or none, as many real accounts); a
    // signature over them is refused.
    let decoy = Session::passkey_login_begin(&fresh, "personne@exemple.fr")
        .await
        .unwrap();
    let decoy_again = Session::passkey_login_begin(&fresh, "personne@exemple.fr")
        .await
        .unwrap();
    let real: Value = serde_json::from_str(&ceremony.options).unwrap();
    let fake: Value = serde_json::from_str(&decoy.options).unwrap();
    let fake_again: Value = serde_json::from_str(&decoy_again.options).unwrap();
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&real), keys(&fake), "{real} / {fake}");
    // (`webauthn-rs`'s decoys follow real accounts' counts: sometimes none.)
    assert_eq!(fake["allowCredentials"], fake_again["allowCredentials"]);
    assert_ne!(fake["challenge"], fake_again["challenge"]);
    let forged = authenticator.sign(&fake, &origin, &user);
    let refused = Session::login_with_passkey(
        &fresh,
        &decoy.ceremony,
        &forged,
        &authenticator.credential_id,
        &authenticator.prf,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PasskeyInvalid, "{refused}");

    // Removed: it logs in no more, and another person cannot remove it.
    let not_theirs = w
        .caseworker
        .session
        .remove_passkey(&added.id)
        .await
        .unwrap_err();
    assert_eq!(not_theirs.code(), ErrorCode::NotFound, "{not_theirs}");
    greffier.session.remove_passkey(&added.id).await.unwrap();
    assert!(greffier.session.passkeys().await.unwrap().is_empty());
    let ceremony = Session::passkey_login_begin(&fresh, &greffier.email)
        .await
        .unwrap();
    assert!(
        authenticator
            .get(&ceremony.options, &origin, &user)
            .is_none(),
        "a removed passkey is not asked for"
    );
}

/// A relay reached by an IP address cannot hold passkeys (browsers refuse them there):
/// it says so by name.
#[tokio::test]
async fn a_relay_on_an_ip_address_says_passkeys_are_unavailable() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let refused = Session::passkey_login_begin(&app.client, "a@b.fr")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PasskeyUnavailable, "{refused}");
}

/// Beginning a passkey login leaves a ceremony in the database: one address cannot leave
/// more than its share (then `rate_limited`, with the real wait).
#[tokio::test]
async fn one_address_cannot_fill_the_database_with_passkey_ceremonies() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.public_url = "http://localhost".into()
    })
    .await;
    for n in 0..60 {
        Session::passkey_login_begin(&app.client, &format!("personne{n}@exemple.fr"))
            .await
            .unwrap();
    }
    let refused = Session::passkey_login_begin(&app.client, "encore@exemple.fr")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::RateLimited, "{refused}");
    assert_eq!(refused.status(), Some(429));
    assert_eq!(
        app.state
            .store
            .live_ceremonies(&["login", "register"], u64::MAX / 2)
            .await
            .unwrap(),
        0,
        "ceremonies end"
    );
    let live = app
        .state
        .store
        .live_ceremonies(&["login", "register"], pli_server::now_ms())
        .await
        .unwrap();
    assert_eq!(live, 60);
}

/// A member whose only second factor is a passkey logs in with it when they forget their
/// password (and then chooses a new one), and accepting a reset could not ask for it: a
/// reset is refused unless their admin says they lost it too, and accepting that one
/// removes it. The admin's list says who has a passkey.
#[tokio::test]
async fn a_member_whose_second_factor_is_a_passkey_is_reset_only_once_they_lost_it() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.public_url = "http://localhost".into()
    })
    .await;
    let origin = app.state.config.public_url.clone();
    let w = world_on(app).await;
    let greffier = w.greffier.session.me.user_id;
    // A link issued while the member had no second factor at all…
    let earlier = w
        .court_admin
        .session
        .reset_member(&w.court, &greffier, false)
        .await
        .unwrap();
    let mut authenticator = Authenticator::new(7);
    authenticator.enrol(&w.greffier.session, &origin).await;
    // …does not open the account alone once a passkey was added since.
    let earlier = pli_client::protocol::OneTimeLink::parse(&earlier.link).unwrap();
    let refused = Session::accept_invitation(
        &w.app.client,
        &earlier.token,
        "Une phrase que quelqu'un d'autre choisirait",
        super::harness::test_kdf(),
        earlier.root.as_ref().unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.code(),
        ErrorCode::SecondFactorIsPasskey,
        "{refused}"
    );
    let has_passkey = |members: &pli_api::messages::Members, user| {
        let member = members.members.iter().find(|m| m.user_id == user).unwrap();
        (member.has_passkey, member.totp_enabled)
    };
    let listed = w.court_admin.session.members(&w.court).await.unwrap();
    assert_eq!(has_passkey(&listed, greffier), (true, false));
    assert!(!has_passkey(&listed, w.court_admin.session.me.user_id).0);

    let refused = w
        .court_admin
        .session
        .reset_member(&w.court, &greffier, false)
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        ErrorCode::SecondFactorIsPasskey,
        "{refused}"
    );
    assert_eq!(refused.status(), Some(409));
    let after = w.court_admin.session.members(&w.court).await.unwrap();
    assert_eq!(
        after.invitations, listed.invitations,
        "no link was issued (the earlier one is still open, unused)"
    );
    // The passkey still logs the member in.
    let fresh = Client::new(&w.app.base);
    let prf = authenticator.prf;
    authenticator
        .log_in(&fresh, &w.greffier.email, &origin, &greffier, &prf)
        .await
        .unwrap();

    // Lost too, as the admin says: the link is issued, and accepting it removes the
    // passkey.
    let issued = w
        .court_admin
        .session
        .reset_member(&w.court, &greffier, true)
        .await
        .unwrap();
    let link = pli_client::protocol::OneTimeLink::parse(&issued.link).unwrap();
    Session::accept_invitation(
        &w.app.client,
        &link.token,
        "Une phrase que le greffier choisit seul",
        super::harness::test_kdf(),
        link.root.as_ref().unwrap(),
        None,
    )
    .await
    .unwrap();
    let ceremony = Session::passkey_login_begin(&fresh, &w.greffier.email)
        .await
        .unwrap();
    assert!(
        authenticator
            .get(&ceremony.options, &origin, &greffier)
            .is_none(),
        "the lost passkey is gone"
    );
    let listed = w.court_admin.session.members(&w.court).await.unwrap();
    assert_eq!(has_passkey(&listed, greffier), (false, false));
    // The acceptance is recorded as clearing the second factor (the passkey).
    let (issued_entry, accepted) =
        super::security::reset_entries(&w.court_admin, &w.court, &greffier).await;
    let detail: serde_json::Value = serde_json::from_str(&accepted.detail).unwrap();
    assert_eq!(detail["second_factor"], "cleared", "{accepted:?}");
    assert_eq!(detail["reset_entry"], issued_entry.seq.to_string());
}
