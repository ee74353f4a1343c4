//! ProConnect sign-in, natively, against a real OpenID Connect provider: npm
//! `oidc-provider` (a certified implementation) started by `pli_testkit::oidc` with
//! ProConnect's scopes and claims, signed userinfo and `acr` `eidas1`. A small cookie jar
//! stands in for the browser; the browser tests (`tests/e2e/proconnect.rs`) walk the same
//! journeys in Chromium.

use std::collections::BTreeMap;

use pli_api::ErrorCode;
use pli_api::messages::{ProConnectInfo, ProConnectPolicy, Siret};
use pli_client::Session;
use pli_server::config::{ClientSecret, OidcConfig};
use pli_testkit::{OidcAccount, OidcClient, OidcProvider};

use super::harness::{Backend, PASSWORD, Person, TestApp, spawn_app_with, world_on};

const TICKET: &str = "__Host-pli_proconnect";
/// The Département's establishment, and the court's.
const DEPT_SIRET: &str = "22770001000019";
const COURT_SIRET: &str = "13002526500013";

/// A browser, as far as redirects and cookies go: follows nothing by itself, keeps every
/// cookie it is given (by name: the relay's and the provider's never clash) and sends
/// them all back.
struct Agent {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

/// An answer: its status, where it sends the browser (made absolute), its body.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Agent {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    async fn send(&mut self, url: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let mut request = match form {
            Some(form) => {
                let body: Vec<String> = form
                    .iter()
                    .map(|(k, v)| format!("{}={}", urlencoding(k), urlencoding(v)))
                    .collect();
                self.http
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.join("&"))
            }
            None => self.http.get(url),
        };
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header("cookie", cookies.join("; "));
        }
        let response = request.send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.to_ascii_lowercase().contains("max-age=0") {
                self.jar.remove(name.trim());
            } else {
                self.jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let location = response.headers().get("location").map(|l| {
            let base = reqwest::Url::parse(url).unwrap();
            base.join(l.to_str().unwrap()).unwrap().to_string()
        });
        Answer {
            status: response.status().as_u16(),
            location,
            body: response.text().await.unwrap_or_default(),
        }
    }

    async fn get(&mut self, url: &str) -> Answer {
        self.send(url, None).await
    }

    /// Follows one `303`/`302`, checking it is one.
    async fn redirected(&mut self, url: &str) -> String {
        let answer = self.get(url).await;
        assert!(
            matches!(answer.status, 302 | 303),
            "{url}: {} {}",
            answer.status,
            answer.body
        );
        answer.location.unwrap()
    }

    /// From `authorize` (the provider's URL the relay sent the browser to), signing in at
    /// the provider as `account`: where the provider sends the browser back (the relay's
    /// callback with a code).
    async fn at_provider(&mut self, authorize: &str, account: &str) -> String {
        let interaction = self.redirected(authorize).await;
        let mut next = if interaction.contains("/interaction/") {
            let answer = self.send(&interaction, Some(&[("login", account)])).await;
            assert_eq!(answer.status, 303, "{}", answer.body);
            answer.location.unwrap()
        } else {
            interaction
        };
        // The provider resumes its authorization (and grants consent) in a redirect or two.
        while !next.contains("/api/proconnect/callback") {
            next = self.redirected(&next).await;
        }
        next
    }

    /// Begins at the relay: the provider's authorization URL.
    async fn begin(&mut self, relay: &str) -> String {
        let to = self
            .redirected(&format!("{relay}/api/proconnect/start"))
            .await;
        assert!(to.contains("/auth?"), "{to}");
        to
    }

    /// A whole sign-in as `account`: where the relay sends the browser in the end.
    async fn sign_in(&mut self, relay: &str, account: &str) -> String {
        let authorize = self.begin(relay).await;
        let callback = self.at_provider(&authorize, account).await;
        self.redirected(&callback).await
    }

    /// A whole sign-in as `account`, which must succeed: `client` presenting its ticket.
    async fn ticketed(
        &mut self,
        relay: &str,
        account: &str,
        client: &pli_client::Client,
    ) -> pli_client::Client {
        assert_eq!(outcome(&self.sign_in(relay, account).await), "ok");
        client.with_cookie(TICKET, &self.ticket().unwrap()).unwrap()
    }

    fn ticket(&self) -> Option<String> {
        self.jar.get(TICKET).cloned()
    }
}

/// A query parameter of `url`.
fn param(url: &str, name: &str) -> String {
    let (_, rest) = url.split_once(&format!("{name}=")).unwrap();
    rest.split('&').next().unwrap().to_owned()
}

/// `person`'s login through `client` (which may carry a ticket) with `password`.
async fn login(
    client: &pli_client::Client,
    person: &Person,
    password: &str,
) -> Result<Session, pli_client::ClientError> {
    Session::login(
        client,
        &person.email,
        password,
        person.session.account_key(),
        None,
        None,
    )
    .await
}

/// What the relay said about the last sign-in: the word after `proconnect=`, or `ok`
/// for the login page alone (a ticket waiting).
fn outcome(location: &str) -> &str {
    match location.split_once("proconnect=") {
        Some((_, word)) => word,
        None => {
            assert!(location.ends_with("/#/login"), "{location}");
            "ok"
        }
    }
}

/// `application/x-www-form-urlencoded`'s escaping of one value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn account(id: &str, email: &str, siret: &str) -> OidcAccount {
    OidcAccount {
        id: id.into(),
        email: email.into(),
        given_name: "Camille".into(),
        usual_name: "Martin".into(),
        uid: format!("uid-{id}"),
        siret: siret.into(),
        idp_id: "fia1v2".into(),
        // What the relay asks for; `weak` accounts reach less.
        acr: if id.starts_with("weak") {
            "eidas1"
        } else {
            "eidas2"
        }
        .into(),
    }
}

/// A relay configured for the provider about to start on `port`, and the provider.
async fn relay_and_provider(
    backend: Backend,
    accounts: impl FnOnce(&TestApp) -> Vec<OidcAccount>,
) -> (TestApp, OidcProvider) {
    let port = pli_testkit::free_port().unwrap();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |config| {
        config.oidc = Some(OidcConfig {
            issuer,
            client_id: "pli-test".into(),
            client_secret: ClientSecret("a-secret-of-the-test-relying-party".into()),
            scopes: "openid given_name usual_name email uid siret idp_id"
                .split(' ')
                .map(str::to_owned)
                .collect(),
            // Substantial or high: ProConnect's eidas1 (a password alone) is not enough here.
            acr_values: vec!["eidas2".into(), "eidas3".into()],
        });
    })
    .await;
    let public = app.state.config.public_url.clone();
    let client = OidcClient {
        client_id: "pli-test".into(),
        client_secret: "a-secret-of-the-test-relying-party".into(),
        redirect_uri: format!("{public}/api/proconnect/callback"),
        post_logout_redirect_uri: format!("{public}/"),
    };
    let node_modules = OidcProvider::node_modules().unwrap();
    let provider =
        OidcProvider::start_on(port, &node_modules, &client, &accounts(&app), None).unwrap();
    (app, provider)
}

#[tokio::test]
async fn proconnect_vouches_for_a_person_whose_keys_still_need_their_password() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && std::env::var_os("PLI_TEST_DATABASE_URL").is_none() {
            assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL");
            continue;
        }
        proconnect_story(backend).await;
    }
}

async fn proconnect_story(backend: Backend) {
    let (app, provider) = relay_and_provider(backend, |_| {
        vec![
            account("camille", "ts@d77.test", DEPT_SIRET),
            account("camille-twin", "ts@d77.test", DEPT_SIRET),
            account("claude-elsewhere", "greffier@tj-meaux.test", DEPT_SIRET),
            account("claude", "greffier@tj-meaux.test", COURT_SIRET),
            account("stranger", "nobody@nowhere.test", DEPT_SIRET),
            account("weak-camille", "ts@d77.test", DEPT_SIRET),
            account("nina", "nouvelle@d77.test", DEPT_SIRET),
            account("nina-twin", "nouvelle@d77.test", DEPT_SIRET),
        ]
    })
    .await;
    let relay = app.base.clone();
    let w = world_on(app).await;
    assert_eq!(w.caseworker.email, "ts@d77.test", "the cast's address");
    assert_eq!(
        w.greffier.email, "greffier@tj-meaux.test",
        "the cast's address"
    );

    // Nothing signed in yet: the relay offers ProConnect, and vouches for nobody.
    let info: ProConnectInfo = w
        .app
        .client
        .fetch(&pli_api::endpoints::ProConnectInfo {})
        .await
        .unwrap();
    assert!(info.available && info.identity.is_none());

    // Before the Département names its SIRET, nobody of it signs in with ProConnect.
    let mut browser = Agent::new();
    assert_eq!(
        outcome(&browser.sign_in(&relay, "camille").await),
        "siret_refused"
    );
    assert!(browser.ticket().is_none());
    // An address without a Pli account (another browser: the provider remembers who
    // signed in in this one, and would not ask again).
    assert_eq!(
        outcome(&Agent::new().sign_in(&relay, "stranger").await),
        "unknown_account"
    );
    // A sign-in that reached a lower level than the relay accepts.
    assert_eq!(
        outcome(&Agent::new().sign_in(&relay, "weak-camille").await),
        "acr_insufficient"
    );

    let dept_policy = |required| ProConnectPolicy {
        sirets: vec![Siret::parse(DEPT_SIRET).unwrap()],
        required,
    };
    w.dept_admin
        .session
        .set_proconnect(&w.dept, &dept_policy(false))
        .await
        .unwrap();
    let court_policy = ProConnectPolicy {
        sirets: vec![Siret::parse(COURT_SIRET).unwrap()],
        required: false,
    };
    w.court_admin
        .session
        .set_proconnect(&w.court, &court_policy)
        .await
        .unwrap();
    let members = w.dept_admin.session.members(&w.dept).await.unwrap();
    assert_eq!(members.proconnect, dept_policy(false));

    // The caseworker signs in: a ticket, and the page learns who it is for.
    let mut browser = Agent::new();
    let back = browser.sign_in(&relay, "camille").await;
    assert_eq!(outcome(&back), "ok");
    let ticket = browser
        .ticket()
        .expect("a ticket for the login that follows");
    assert!(
        !browser.jar.contains_key("__Host-pli_proconnect_flow"),
        "the flow's cookie is spent"
    );
    let with_ticket = w.app.client.with_cookie(TICKET, &ticket).unwrap();
    let info: ProConnectInfo = with_ticket
        .fetch(&pli_api::endpoints::ProConnectInfo {})
        .await
        .unwrap();
    let who = info.identity.expect("the ticket's identity");
    assert_eq!(
        (
            who.email.as_str(),
            who.given_name.as_str(),
            who.usual_name.as_str(),
            who.siret.as_str()
        ),
        ("ts@d77.test", "Camille", "Martin", DEPT_SIRET)
    );

    // The ticket opens nothing by itself: the password is still asked, and a wrong one
    // is refused as ever (the ticket stays for the next try).
    let refused = login(&with_ticket, &w.caseworker, "not the password")
        .await
        .expect_err("a wrong password");
    assert_eq!(refused.code(), ErrorCode::InvalidCredentials);
    // Another account cannot use this browser's ticket: it is set aside.
    let other = login(&with_ticket, &w.greffier, PASSWORD)
        .await
        .expect_err("the ticket is the caseworker's");
    assert_eq!(other.code(), ErrorCode::ProConnectMismatch);

    // Signed in again, the caseworker unlocks their keys: the session remembers
    // ProConnect, and its logout names ProConnect's end-session endpoint.
    let mut browser = Agent::new();
    let with_ticket = browser.ticketed(&relay, "camille", &w.app.client).await;
    let session = login(&with_ticket, &w.caseworker, PASSWORD).await.unwrap();
    let end = session
        .logout()
        .await
        .unwrap()
        .expect("ProConnect's logout");
    assert!(
        end.starts_with(&format!("{}/session/end?id_token_hint=ey", provider.issuer)),
        "{end}"
    );
    assert!(end.contains("post_logout_redirect_uri="), "{end}");
    // The identity token, which the relay keeps sealed: its payload and signature are
    // searched for in its database and logs below.
    let id_token = param(&end, "id_token_hint");
    let mut secrets: Vec<String> = id_token.split('.').skip(1).map(str::to_owned).collect();
    secrets.push(ticket.clone());
    // The provider ends its session at that URL and comes back to Pli.
    let confirm = browser.get(&end).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let xsrf = confirm
        .body
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's logout form")
        .to_owned();
    let confirmed = browser
        .send(
            &format!("{}/session/end/confirm", provider.issuer),
            Some(&[("xsrf", xsrf.as_str()), ("logout", "yes")]),
        )
        .await;
    assert_eq!(confirmed.status, 303);
    assert!(
        confirmed
            .location
            .unwrap()
            .starts_with(&format!("{}/?state=", w.app.state.config.public_url))
    );
    // The ticket was used once: logging in with it again is a password login like any.
    let again = login(&with_ticket, &w.caseworker, PASSWORD).await.unwrap();
    assert_eq!(
        again.logout().await.unwrap(),
        None,
        "no ProConnect session behind it"
    );

    // The first sign-in tied the account to that ProConnect identity: another identity
    // with the same address is refused, and the tie is in the audit log.
    assert_eq!(
        outcome(&Agent::new().sign_in(&relay, "camille-twin").await),
        "linked_elsewhere"
    );
    // The greffier, named by ProConnect in the Département's establishment, is refused
    // (and not tied); in the court's, accepted.
    assert_eq!(
        outcome(&Agent::new().sign_in(&relay, "claude-elsewhere").await),
        "siret_refused"
    );
    assert_eq!(outcome(&Agent::new().sign_in(&relay, "claude").await), "ok");

    // The Département now requires ProConnect: a password login alone is refused — once
    // the password is right, so the answer tells a guesser nothing.
    w.dept_admin
        .session
        .set_proconnect(&w.dept, &dept_policy(true))
        .await
        .unwrap();
    let wrong = login(&w.app.client, &w.caseworker, "not the password")
        .await
        .err()
        .unwrap();
    assert_eq!(wrong.code(), ErrorCode::InvalidCredentials);
    let required = login(&w.app.client, &w.caseworker, PASSWORD)
        .await
        .expect_err("ProConnect first");
    assert_eq!(required.code(), ErrorCode::ProConnectRequired);
    // The court does not require it.
    login(&w.app.client, &w.greffier, PASSWORD).await.unwrap();
    // A program of the Département (a service account) has no ProConnect identity: the
    // rule does not apply to it.
    let invited = w
        .dept_admin
        .session
        .invite_service(&w.dept, "logiciel@d77.test", "Logiciel de l'ASE")
        .await
        .unwrap();
    let link = pli_client::protocol::OneTimeLink::parse(&invited.link).unwrap();
    let secret = "le secret du logiciel, tiré au sort sur sa machine";
    let program = Session::accept_invitation(
        &w.app.client,
        &link.token,
        secret,
        super::harness::test_kdf(),
        &link.root.unwrap(),
        None,
    )
    .await
    .unwrap();
    Session::login(
        &w.app.client,
        "logiciel@d77.test",
        secret,
        program.account_key(),
        None,
        None,
    )
    .await
    .unwrap();

    // A person invited where ProConnect is required accepts their link only right after
    // signing in with ProConnect as that address; the link stays good until then.
    let invited = w
        .dept_admin
        .session
        .invite(
            &w.dept,
            "nouvelle@d77.test",
            "Nina Nouvelle",
            pli_api::Role::Member,
        )
        .await
        .unwrap();
    let link = pli_client::protocol::OneTimeLink::parse(&invited.link).unwrap();
    let looked: pli_api::messages::InvitationInfo = w
        .app
        .client
        .call(
            &pli_api::endpoints::InvitationLookup {},
            &pli_api::messages::TokenRequest {
                token: link.token.clone(),
            },
        )
        .await
        .unwrap();
    assert!(looked.proconnect_required);
    let accept = |client: pli_client::Client| {
        let token = link.token.clone();
        let root = link.root.clone().unwrap();
        async move {
            Session::accept_invitation(
                &client,
                &token,
                PASSWORD,
                super::harness::test_kdf(),
                &root,
                None,
            )
            .await
        }
    };
    let refused = accept(w.app.client.clone())
        .await
        .expect_err("ProConnect first");
    assert_eq!(refused.code(), ErrorCode::ProConnectRequired);
    let mut browser = Agent::new();
    let with_ticket = browser.ticketed(&relay, "nina", &w.app.client).await;
    let info: ProConnectInfo = with_ticket
        .fetch(&pli_api::endpoints::ProConnectInfo {})
        .await
        .unwrap();
    assert!(
        info.identity.unwrap().invited,
        "the page sends them to their link"
    );
    let nina = accept(with_ticket).await.unwrap();
    assert!(
        nina.logout().await.unwrap().is_some(),
        "the session began with ProConnect"
    );
    // Accepting tied the new account to that identity.
    assert_eq!(
        outcome(&Agent::new().sign_in(&relay, "nina-twin").await),
        "linked_elsewhere"
    );

    // Returns the relay refuses, each with its word.
    // (1) The same return twice: its sign-in is spent.
    let mut browser = Agent::new();
    let authorize = browser.begin(&relay).await;
    let callback = browser.at_provider(&authorize, "camille").await;
    assert_eq!(outcome(&browser.redirected(&callback).await), "ok");
    assert_eq!(
        outcome(&browser.redirected(&callback).await),
        "state_unknown"
    );
    // (2) A spent code with a new sign-in's state: the provider refuses the code.
    let code = param(&callback, "code");
    let authorize = browser.begin(&relay).await;
    let fresh = browser.at_provider(&authorize, "camille").await;
    let fresh_code = param(&fresh, "code");
    let replayed = fresh.replace(&fresh_code, &code);
    assert_eq!(
        outcome(&browser.redirected(&replayed).await),
        "code_refused"
    );
    // (3) The return reaching another browser than the one that began.
    let mut began = Agent::new();
    let authorize = began.begin(&relay).await;
    let callback = began.at_provider(&authorize, "camille").await;
    assert_eq!(
        outcome(&Agent::new().redirected(&callback).await),
        "browser_mismatch"
    );
    // (4) A code issued with another nonce than the one this sign-in sent (an attacker's
    // code injected into the victim's return): the identity token's nonce gives it away.
    let mut browser = Agent::new();
    let authorize = browser.begin(&relay).await;
    let nonce = param(&authorize, "nonce");
    let injected = authorize.replace(
        &format!("nonce={nonce}"),
        &format!("nonce={}", "n".repeat(43)),
    );
    let callback = browser.at_provider(&injected, "camille").await;
    assert_eq!(
        outcome(&browser.redirected(&callback).await),
        "nonce_mismatch"
    );
    // (5) A sign-in that took too long (its time is up: moved to the past here).
    let mut browser = Agent::new();
    let authorize = browser.begin(&relay).await;
    let callback = browser.at_provider(&authorize, "camille").await;
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE ceremonies SET expires_at = 1 WHERE kind = 'proconnect'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        outcome(&browser.redirected(&callback).await),
        "state_expired"
    );
    // (6) A return without state, and the provider's own refusal.
    assert_eq!(
        outcome(
            &browser
                .redirected(&format!("{relay}/api/proconnect/callback?code=x"))
                .await
        ),
        "state_unknown"
    );
    let authorize = browser.begin(&relay).await;
    let state = param(&authorize, "state");
    let denied = format!("{relay}/api/proconnect/callback?error=access_denied&state={state}");
    assert_eq!(
        outcome(&browser.redirected(&denied).await),
        "provider_refused"
    );

    // What the relay keeps: the identity token and the ticket, in no table and no log
    // line (the token sealed, the ticket as its hash).
    assert_eq!(secrets.len(), 3, "payload, signature, ticket");
    let mut kept = String::from_utf8_lossy(&super::harness::logs().lock().unwrap()).into_owned();
    for table in [
        "ceremonies",
        "sessions",
        "audit_log",
        "users",
        "organisations",
    ] {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            use sqlx::Row as _;
            for index in 0..row.len() {
                let text = row.try_get::<String, _>(index).ok().or_else(|| {
                    row.try_get::<Vec<u8>, _>(index)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                });
                kept.push_str(&text.unwrap_or_default());
            }
        }
    }
    for secret in &secrets {
        assert!(!kept.contains(secret.as_str()), "{secret} kept in clear");
    }
    let audit = w
        .dept_admin
        .session
        .org_audit(&w.dept, pli_api::messages::AuditQuery::default())
        .await
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "proconnect.linked"),
        "the tie is audited"
    );
    assert!(
        audit.iter().any(|e| e.action == "org.proconnect"),
        "the rule is audited"
    );
    let refusals: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "proconnect.refused")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(
        refusals.iter().any(|d| d.contains("siret_refused"))
            && refusals.iter().any(|d| d.contains("proconnect_required")),
        "{refusals:?}"
    );
    drop(provider);
}
