//! The authorisation matrix of `docs/security.md`, route by route.
//!
//! [`CASES`] lists every route of the router with who may call it and what it needs; the
//! test fails if a route of `pli_server::routes::ROUTES` is missing here (or listed here
//! but gone), or if the router's policy for it is not the one stated here. For
//! each route, by its declared policy: anonymous callers, removed members, pending
//! (uncertified) members, members where admins are needed, the platform admin where
//! organisation members are needed, org admins where the platform admin is needed, and
//! callers from another tenant (a member and an admin of another court) are all denied;
//! a request about another tenant's real object gets exactly the answer a random id gets,
//! so nothing leaks about what exists.

use pli_api::messages::{ExchangeCreated, Members};
use pli_server::auth::Policy;
use pli_server::routes::ROUTES;
use reqwest::Method;
use serde_json::json;

use super::harness::{Backend, Person, data, file, options, world};

/// What a route needs to be called: its body, and whether its path names an object
/// another tenant could try to reach.
#[derive(Clone, Copy)]
enum Body {
    None,
    Json(fn(&Ids) -> serde_json::Value),
    Part,
}

struct Case {
    route: &'static str,
    /// Who may call it, stated here apart from the router's table: the test fails when
    /// the two disagree, so a route's policy cannot be loosened in one place only.
    policy: Policy,
    body: Body,
    /// The path names an object owned by a tenant (org, member, exchange).
    scoped: bool,
}

const fn case(route: &'static str, policy: Policy, body: Body, scoped: bool) -> Case {
    Case {
        route,
        policy,
        body,
        scoped,
    }
}

fn signed_dummy() -> serde_json::Value {
    json!({ "data": "cGxpL3YxL2Vudmxw", "signature": base64_zero(64) })
}

fn base64_zero(n: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(vec![0u8; n])
}

fn credentials() -> serde_json::Value {
    json!({ "kdf": { "m_cost_kib": 19456, "t_cost": 2, "p_cost": 1, "salt": base64_zero(16) }, "auth_key": base64_zero(32), "key_bundle": base64_zero(40) })
}

const CASES: &[Case] = &[
    case("GET /healthz", Policy::Public, Body::None, false),
    case("GET /readyz", Policy::Public, Body::None, false),
    case("GET /metrics", Policy::Operator, Body::None, false),
    case("GET /api/openapi.json", Policy::Public, Body::None, false),
    case(
        "POST /api/setup/lookup",
        Policy::Public,
        Body::Json(|_| json!({ "token": "nope" })),
        false,
    ),
    case(
        "POST /api/setup",
        Policy::Public,
        Body::Json(
            |_| json!({ "token": "nope", "email": "a@b.fr", "display_name": "A", "credentials": credentials(), "root_key": base64_zero(32), "org_certificate": signed_dummy(), "user_certificate": signed_dummy() }),
        ),
        false,
    ),
    case(
        "POST /api/auth/prelogin",
        Policy::Public,
        Body::Json(|_| json!({ "email": "x@y.fr" })),
        false,
    ),
    case(
        "POST /api/auth/login",
        Policy::Public,
        Body::Json(|_| json!({ "email": "x@y.fr", "auth_key": base64_zero(32) })),
        false,
    ),
    case(
        "POST /api/auth/logout",
        Policy::Session,
        Body::Json(|_| json!({})),
        false,
    ),
    case("GET /api/proconnect", Policy::Public, Body::None, false),
    case(
        "GET /api/proconnect/start",
        Policy::Public,
        Body::None,
        false,
    ),
    case(
        "GET /api/proconnect/callback",
        Policy::Public,
        Body::None,
        false,
    ),
    case(
        "POST /api/auth/reauth",
        Policy::Session,
        Body::Json(|_| json!({ "auth_key": base64_zero(32) })),
        false,
    ),
    case("GET /api/me", Policy::Session, Body::None, false),
    case(
        "POST /api/me/password",
        Policy::Session,
        Body::Json(|_| json!({ "credentials": credentials() })),
        false,
    ),
    case("GET /api/me/sessions", Policy::Session, Body::None, false),
    case(
        "DELETE /api/me/sessions/{id}",
        Policy::Session,
        Body::None,
        false,
    ),
    case(
        "POST /api/me/totp/setup",
        Policy::Session,
        Body::Json(|_| json!({})),
        false,
    ),
    case(
        "POST /api/me/totp/confirm",
        Policy::Session,
        Body::Json(|_| json!({ "code": "000000" })),
        false,
    ),
    case(
        "POST /api/me/totp/disable",
        Policy::Session,
        Body::Json(|_| json!({})),
        false,
    ),
    case(
        "POST /api/me/passkeys/begin",
        Policy::Session,
        Body::Json(|_| json!({})),
        false,
    ),
    case(
        "POST /api/me/passkeys",
        Policy::Session,
        Body::Json(
            |_| json!({ "ceremony": "nope", "credential": "{}", "sealed_unlock": base64_zero(32) }),
        ),
        false,
    ),
    case("GET /api/me/passkeys", Policy::Session, Body::None, false),
    case(
        "DELETE /api/me/passkeys/{id}",
        Policy::Session,
        Body::None,
        false,
    ),
    case(
        "POST /api/auth/passkey/begin",
        Policy::Public,
        Body::Json(|_| json!({ "email": "x@y.fr" })),
        false,
    ),
    case(
        "POST /api/auth/passkey",
        Policy::Public,
        Body::Json(|_| json!({ "ceremony": "nope", "credential": "{}" })),
        false,
    ),
    case("GET /api/me/grants", Policy::Session, Body::None, false),
    case(
        "POST /api/invitations/lookup",
        Policy::Public,
        Body::Json(|_| json!({ "token": "nope" })),
        false,
    ),
    case(
        "POST /api/invitations/accept",
        Policy::Public,
        Body::Json(
            |_| json!({ "token": "nope", "credentials": credentials(), "keys": { "signing_key": base64_zero(32), "encryption_key": base64_zero(32) } }),
        ),
        false,
    ),
    case("GET /api/orgs", Policy::PlatformAdmin, Body::None, false),
    case(
        "POST /api/orgs",
        Policy::PlatformAdmin,
        Body::Json(|_| json!({ "certificate": signed_dummy() })),
        false,
    ),
    case(
        "GET /api/orgs/{org}/members",
        Policy::AnyAdmin,
        Body::None,
        true,
    ),
    case(
        "POST /api/orgs/{org}/invitations",
        Policy::AnyAdmin,
        Body::Json(|_| json!({ "email": "new@x.fr", "display_name": "New", "role": "member" })),
        true,
    ),
    case(
        "DELETE /api/orgs/{org}/invitations/{user}",
        Policy::AnyAdmin,
        Body::None,
        true,
    ),
    case(
        "POST /api/orgs/{org}/members/{user}/certify",
        Policy::AnyAdmin,
        Body::Json(|_| json!({ "certificate": signed_dummy(), "grants": [] })),
        true,
    ),
    case(
        "POST /api/orgs/{org}/members/{user}/grants",
        Policy::OrgAdmin,
        Body::Json(|_| json!([])),
        true,
    ),
    case(
        "POST /api/orgs/{org}/members/{user}/reset",
        Policy::OrgAdmin,
        Body::Json(|_| json!({})),
        true,
    ),
    case(
        "DELETE /api/orgs/{org}/members/{user}",
        Policy::AnyAdmin,
        Body::Json(|_| json!({ "revocation": null })),
        true,
    ),
    case(
        "PUT /api/orgs/{org}/retention",
        Policy::OrgAdmin,
        Body::Json(|_| json!({ "retention_days": 30 })),
        true,
    ),
    case(
        "PUT /api/orgs/{org}/second-factor",
        Policy::OrgAdmin,
        Body::Json(|_| json!({ "second_factor": "required" })),
        true,
    ),
    case(
        "PUT /api/orgs/{org}/proconnect",
        Policy::OrgAdmin,
        Body::Json(|_| json!({ "sirets": [], "required": false })),
        true,
    ),
    case(
        "POST /api/orgs/{org}/keys",
        Policy::OrgAdmin,
        Body::Json(|_| json!({ "certificate": signed_dummy(), "grants": [] })),
        true,
    ),
    case(
        "POST /api/orgs/{org}/keys/{generation}/suspend",
        Policy::AnyAdmin,
        Body::Json(|_| json!({})),
        true,
    ),
    case(
        "GET /api/orgs/{org}/keys",
        Policy::Session,
        Body::None,
        true,
    ),
    case(
        "GET /api/orgs/{org}/audit",
        Policy::Session,
        Body::None,
        true,
    ),
    case(
        "GET /api/orgs/{org}/audit/export",
        Policy::OrgAdmin,
        Body::None,
        true,
    ),
    case(
        "GET /api/orgs/{org}/audit/verify",
        Policy::OrgAdmin,
        Body::None,
        true,
    ),
    case(
        "GET /api/platform/audit",
        Policy::PlatformAdmin,
        Body::None,
        false,
    ),
    case(
        "POST /api/platform/log-policy",
        Policy::PlatformAdmin,
        Body::Json(|_| signed_dummy()),
        false,
    ),
    case(
        "PUT /api/me/checkpoint",
        Policy::Session,
        Body::Json(|_| json!({ "data": "", "signature": "" })),
        false,
    ),
    case(
        "PUT /api/me/key-upgrade",
        Policy::Session,
        Body::Json(
            |_| json!({ "upgrade": { "data": "", "signature": "" }, "later_identities": "" }),
        ),
        false,
    ),
    case("GET /api/log/proposal", Policy::Public, Body::None, false),
    case("GET /api/log/state", Policy::Session, Body::None, false),
    case("GET /api/log/entries", Policy::Session, Body::None, false),
    case("GET /api/directory/root", Policy::Public, Body::None, false),
    case(
        "GET /api/directory/orgs",
        Policy::Session,
        Body::None,
        false,
    ),
    case(
        "GET /api/directory/certificates/{fingerprint}",
        Policy::Session,
        Body::None,
        false,
    ),
    case(
        "POST /api/exchanges",
        Policy::Member,
        Body::Json(
            |ids| json!({ "recipient_org_id": ids.court, "recipient_generation": 1, "sizes": [100, 100] }),
        ),
        false,
    ),
    case(
        "GET /api/exchanges/inbox",
        Policy::Member,
        Body::None,
        false,
    ),
    case(
        "GET /api/exchanges/outbox",
        Policy::Member,
        Body::None,
        false,
    ),
    case("GET /api/exchanges/{id}", Policy::Member, Body::None, true),
    case(
        "DELETE /api/exchanges/{id}",
        Policy::Member,
        Body::None,
        true,
    ),
    case(
        "GET /api/exchanges/{id}/upload",
        Policy::Member,
        Body::None,
        true,
    ),
    case(
        "PUT /api/exchanges/{id}/objects/{idx}/parts/{part}",
        Policy::Member,
        Body::Part,
        true,
    ),
    case(
        "POST /api/exchanges/{id}/complete",
        Policy::Member,
        Body::Json(|_| json!({ "envelope": signed_dummy() })),
        true,
    ),
    case(
        "GET /api/exchanges/{id}/objects/{idx}",
        Policy::Member,
        Body::None,
        true,
    ),
    case(
        "GET /api/exchanges/{id}/objects/{idx}/parts",
        Policy::Member,
        Body::None,
        true,
    ),
    case(
        "POST /api/exchanges/{id}/receipts",
        Policy::Member,
        Body::Json(|_| json!({ "receipt": signed_dummy() })),
        true,
    ),
    case("GET /api/events", Policy::Member, Body::None, false),
];

/// The ids the paths are filled with: objects of the court (the "victim" tenant).
struct Ids {
    court: pli_api::OrgId,
    user: pli_api::UserId,
    exchange: pli_api::ExchangeId,
    uploading: pli_api::ExchangeId,
    fingerprint: String,
}

fn fill(route: &str, ids: &Ids, random: bool) -> String {
    let path = route.split_once(' ').map_or(route, |(_, p)| p);
    let exchange = if route.contains("/upload")
        || route.contains("/parts/")
        || route.contains("/complete")
        || route.starts_with("DELETE /api/exchanges")
    {
        ids.uploading
    } else {
        ids.exchange
    };
    let (org, user, exchange) = if random {
        (
            pli_api::OrgId::from_random([0x5a; 16]),
            pli_api::UserId::from_random([0x5b; 16]),
            pli_api::ExchangeId::from_random([0x5c; 16]),
        )
    } else {
        (ids.court, ids.user, exchange)
    };
    path.replace("{org}", &org.to_string())
        .replace("{user}", &user.to_string())
        .replace("{id}", &exchange.to_string())
        .replace("{idx}", "1")
        .replace("{part}", "0")
        .replace("{generation}", "1")
        .replace("{fingerprint}", &ids.fingerprint)
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    case: &Case,
    ids: &Ids,
    random: bool,
) -> (u16, String) {
    let (method, _) = case.route.split_once(' ').unwrap();
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{base}{}", fill(case.route, ids, random)));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match case.body {
        Body::None => request,
        Body::Json(make) => request.json(&make(ids)),
        Body::Part => {
            use base64::Engine as _;
            use sha2::Digest as _;
            let body = data(1000, 1);
            let digest = format!(
                "sha-256=:{}:",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body))
            );
            request.header("content-digest", digest).body(body)
        }
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = if case.route == "GET /api/events" {
        String::new()
    } else {
        response.text().await.unwrap_or_default()
    };
    let code = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, code)
}

fn token(person: &Person) -> Option<&str> {
    person.session.token()
}

#[tokio::test]
async fn every_route_has_a_policy_case_and_every_policy_holds() {
    // Every route has a case, and every case a route.
    let routes: Vec<String> = ROUTES
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let missing: Vec<&String> = routes
        .iter()
        .filter(|r| !CASES.iter().any(|c| c.route == r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an authorisation case: {missing:?}"
    );
    let stale: Vec<&str> = CASES
        .iter()
        .map(|c| c.route)
        .filter(|c| !routes.iter().any(|r| r == c))
        .collect();
    assert!(
        stale.is_empty(),
        "cases for routes that do not exist: {stale:?}"
    );
    // Each route's policy in the router is the one this matrix states.
    let changed: Vec<String> = ROUTES
        .iter()
        .filter_map(|r| {
            let route = format!("{} {}", r.method, r.path);
            let case = CASES.iter().find(|c| c.route == route)?;
            (case.policy != r.policy).then(|| {
                format!(
                    "{route}: the router says {:?}, the matrix {:?}",
                    r.policy, case.policy
                )
            })
        })
        .collect();
    assert!(
        changed.is_empty(),
        "routes whose policy differs from the matrix: {changed:?}"
    );

    // The cast: the court (victim tenant) and a second court whose people try to reach it.
    let mut w = world(Backend::Sqlite).await;
    let other_court = w
        .platform
        .session
        .create_org(
            pli_crypto::cert::OrgKind::Court,
            "Tribunal judiciaire de Blois",
            "TJ-BLOIS",
        )
        .await
        .unwrap();
    let mut other_admin = w
        .app
        .invite_and_accept(
            &w.platform,
            &other_court,
            "admin@tj-blois.test",
            "Admin Blois",
            pli_api::Role::OrgAdmin,
        )
        .await;
    w.platform
        .session
        .certify(&other_court, &other_admin.session.me.user_id)
        .await
        .unwrap();
    other_admin.session.refresh_keys().await.unwrap();
    other_admin.enable_totp().await;
    other_admin.session.rotate_org_key().await.unwrap();
    let mut other_member = w
        .app
        .invite_and_accept(
            &other_admin,
            &other_court,
            "greffe@tj-blois.test",
            "Greffe Blois",
            pli_api::Role::Member,
        )
        .await;
    other_admin
        .session
        .certify(&other_court, &other_member.session.me.user_id)
        .await
        .unwrap();
    other_member.session.refresh_keys().await.unwrap();
    let pending = w
        .app
        .invite_and_accept(
            &w.court_admin,
            &w.court,
            "pending@tj-meaux.test",
            "Pas encore certifié",
            pli_api::Role::Member,
        )
        .await;
    let removed = w
        .app
        .invite_and_accept(
            &w.court_admin,
            &w.court,
            "parti@tj-meaux.test",
            "Parti",
            pli_api::Role::Member,
        )
        .await;
    w.court_admin
        .session
        .certify(&w.court, &removed.session.me.user_id)
        .await
        .unwrap();
    w.court_admin
        .session
        .remove_member(&w.court, &removed.session.me.user_id)
        .await
        .unwrap();

    // A delivered exchange (Département → court) and one the greffier is uploading.
    let exchange = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("s.pdf", data(100, 1))],
            &options("Objet"),
        )
        .await
        .unwrap();
    let uploading: ExchangeCreated = w
        .greffier
        .session
        .client()
        .post(
            "/api/exchanges",
            &json!({ "recipient_org_id": w.dept, "recipient_generation": 1, "sizes": [100, 1000] }),
        )
        .await
        .unwrap();
    let members: Members = w.court_admin.session.members(&w.court).await.unwrap();
    let greffier = members
        .members
        .iter()
        .find(|m| m.email == "greffier@tj-meaux.test")
        .unwrap();
    let signing = pli_crypto::sign::VerifyingKey::from_bytes(
        &greffier.keys.signing_key.0.clone().try_into().unwrap(),
    )
    .unwrap();
    let ids = Ids {
        court: w.court,
        user: greffier.user_id,
        exchange,
        uploading: uploading.exchange_id,
        fingerprint: pli_crypto::sign::Fingerprint::of_signing_key(&signing).to_hex(),
    };

    let http = reqwest::Client::new();
    let base = w.app.base.clone();
    let mut failures = Vec::new();
    let denied = |(status, _): &(u16, String)| matches!(status, 401 | 403 | 404);
    let removed_token = removed.session.token().map(str::to_owned);
    for route in ROUTES {
        let case = CASES
            .iter()
            .find(|c| c.route == format!("{} {}", route.method, route.path))
            .unwrap();
        let mut expect_denied = |who: &str, token: Option<&str>, outcome: (u16, String)| {
            if !denied(&outcome) {
                failures.push(format!("{}: {who} got {outcome:?}", case.route));
            }
            let _ = token;
        };
        if case.policy == Policy::Public {
            let outcome = call(&http, &base, None, case, &ids, false).await;
            if matches!(
                outcome.1.as_str(),
                "unauthenticated" | "forbidden" | "origin_mismatch"
            ) || outcome.0 >= 500
            {
                failures.push(format!(
                    "{}: public route refused anonymous callers: {outcome:?}",
                    case.route
                ));
            }
            continue;
        }
        expect_denied(
            "anonymous",
            None,
            call(&http, &base, None, case, &ids, false).await,
        );
        expect_denied(
            "a removed member",
            None,
            call(&http, &base, removed_token.as_deref(), case, &ids, false).await,
        );
        let by_policy: Vec<(&str, &Person)> = match case.policy {
            Policy::Member => vec![
                ("the platform admin", &w.platform),
                ("a pending member", &pending),
            ],
            Policy::OrgAdmin => vec![
                ("a member", &w.greffier),
                ("the platform admin", &w.platform),
                ("a pending member", &pending),
            ],
            Policy::AnyAdmin => vec![("a member", &w.greffier), ("a pending member", &pending)],
            Policy::PlatformAdmin => {
                vec![("an org admin", &w.court_admin), ("a member", &w.greffier)]
            }
            // No person's session opens the operator's routes, however privileged.
            Policy::Operator => vec![
                ("the platform admin", &w.platform),
                ("an org admin", &w.court_admin),
                ("a member", &w.greffier),
            ],
            Policy::Session | Policy::Public => vec![],
        };
        for (who, person) in by_policy {
            expect_denied(
                who,
                token(person),
                call(&http, &base, token(person), case, &ids, false).await,
            );
        }
        // Another tenant reaching the court's objects: denied, and indistinguishable from
        // reaching an object that does not exist.
        if case.scoped {
            for (who, person) in [
                ("a member of another court", &other_member),
                ("an admin of another court", &other_admin),
                ("a Département member", &w.caseworker),
            ] {
                let real = call(&http, &base, token(person), case, &ids, false).await;
                let random = call(&http, &base, token(person), case, &ids, true).await;
                let sender_reads_own = person.email == w.caseworker.email
                    && case.route.starts_with("GET /api/exchanges/{id}");
                if sender_reads_own {
                    continue; // The Département sent this exchange: it may read it back.
                }
                if !denied(&real) {
                    failures.push(format!(
                        "{}: {who} reached the court's object: {real:?}",
                        case.route
                    ));
                } else if real != random {
                    failures.push(format!(
                        "{}: {who} can tell a real object ({real:?}) from a random id ({random:?})",
                        case.route
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} authorisation failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let _ = &mut w;
}

/// Envelope fields by role, for `docs/asvs.md` (item 13): the relay has only operational
/// fields to give — every party allowed to read an exchange (the recipient's member and
/// admin, the sender and their admin) gets exactly the same answer, made of those fields
/// and the signed envelope, with no subject, message, case reference or file name in it —
/// while those are sealed to the organisations' keys and open only in the holders' hands.
/// Who gets nothing at all (the platform admin, a pending member, another tenant): the
/// matrix test above.
#[tokio::test]
async fn every_party_reads_the_same_operational_fields_and_only_key_holders_the_rest() {
    const OPERATIONAL: &[&str] = &[
        "exchange_id",
        "sender_org_id",
        "sender_user_id",
        "recipient_org_id",
        "state",
        "urgent",
        "file_count",
        "total_size",
        "created_at",
        "delivered_at",
        "expires_at",
        "first_read_at",
        "in_reply_to",
        "envelope",
    ];
    let w = world(Backend::Sqlite).await;
    let sealed = [
        "Objet-scelle-13",
        "Message-scelle-13",
        "Dossier-scelle-13",
        "nom-scelle-13",
    ];
    let options = pli_client::SendOptions {
        subject: sealed[0].into(),
        message: sealed[1].into(),
        case_reference: sealed[2].into(),
        ..options("")
    };
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file(&format!("{}.pdf", sealed[3]), data(100, 1))],
            &options,
        )
        .await
        .unwrap();

    let mut answers = Vec::new();
    for person in [&w.greffier, &w.court_admin, &w.caseworker, &w.dept_admin] {
        let response = person
            .session
            .client()
            .request(Method::GET, &format!("/api/exchanges/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", person.email);
        let text = response.text().await.unwrap();
        for secret in sealed {
            assert!(
                !text.contains(secret),
                "{secret} served to {}",
                person.email
            );
        }
        let detail: serde_json::Value = serde_json::from_str(&text).unwrap();
        let served: Vec<&String> = detail["summary"].as_object().unwrap().keys().collect();
        for field in &served {
            assert!(
                OPERATIONAL.contains(&field.as_str()),
                "{field} served to {}",
                person.email
            );
        }
        answers.push((person.email.clone(), detail));
    }
    for (who, answer) in &answers[1..] {
        assert_eq!(
            answer, &answers[0].1,
            "{who} and {} get different fields",
            answers[0].0
        );
    }

    // The sealed fields open only with the organisations' keys: the recipient's, and the
    // sender's own copy.
    for person in [&w.greffier, &w.court_admin, &w.caseworker] {
        let received = person.session.open(&id).await.unwrap();
        assert_eq!(received.manifest.subject, sealed[0], "{}", person.email);
        assert_eq!(received.manifest.case_reference, sealed[2]);
    }
}
