//! ProConnect in Chromium, against a real OpenID Connect provider (npm `oidc-provider`,
//! started by `pli_testkit::oidc` with ProConnect's claims, signed userinfo and `acr`
//! `eidas1`): a caseworker of a Département that requires ProConnect is refused with the
//! password alone, signs in with ProConnect, unlocks their keys with their password and
//! account key, and logs out of Pli and of ProConnect at once; then each return the relay
//! refuses shows its French message on the login page: a replayed code, a replayed
//! return, a code issued for another nonce, a sign-in that took too long, and an
//! establishment (SIRET) that is not the organisation's.

use std::time::Duration;

use pli_api::messages::{ProConnectPolicy, Siret};
use pli_e2e::cast::{PASSWORD, cast};
use pli_e2e::{Backend, Browser, TestServer};
use pli_server::config::{ClientSecret, OidcConfig};
use pli_testkit::{OidcAccount, OidcClient, OidcProvider};

/// The Département's establishment.
const DEPT_SIRET: &str = "22770001000019";
const SECRET: &str = "a-secret-of-the-test-relying-party";
const WAIT: Duration = Duration::from_secs(60);

fn account(id: &str, email: &str) -> OidcAccount {
    OidcAccount {
        id: id.into(),
        email: email.into(),
        given_name: "Camille".into(),
        usual_name: "Martin".into(),
        uid: format!("uid-{id}"),
        siret: DEPT_SIRET.into(),
        idp_id: "fia1v2".into(),
        acr: String::new(),
    }
}

/// The relay (serving the web app, ProConnect configured) and the provider.
async fn site() -> (TestServer, OidcProvider) {
    let port = pli_testkit::free_port().unwrap();
    let web = pli_server::testing::web_dist().unwrap();
    let server = pli_server::testing::spawn(Backend::Sqlite, move |config| {
        config.web_dir = Some(web);
        // A domain name, for passkeys (`http://localhost:<port>`).
        config.public_url = "http://localhost".into();
        config.oidc = Some(OidcConfig {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: "pli".into(),
            client_secret: ClientSecret(SECRET.into()),
            scopes: "openid given_name usual_name email uid siret idp_id"
                .split(' ')
                .map(str::to_owned)
                .collect(),
            acr_values: vec!["eidas1".into()],
        });
    })
    .await
    .unwrap();
    let public = server.state.config.public_url.clone();
    let client = OidcClient {
        client_id: "pli".into(),
        client_secret: SECRET.into(),
        redirect_uri: format!("{public}/api/proconnect/callback"),
        post_logout_redirect_uri: format!("{public}/"),
    };
    let accounts = [
        account("camille", "ts@d77.test"),
        // The court's greffier, whom ProConnect names in the Département's establishment.
        account("claude", "greffier@tj-meaux.test"),
        // Invited to the Département, without an account yet.
        account("nina", "nouvelle@d77.test"),
    ];
    let node_modules = OidcProvider::node_modules().unwrap();
    let provider = OidcProvider::start_on(port, &node_modules, &client, &accounts, None).unwrap();
    (server, provider)
}

/// At the provider's sign-in page, signs in as `account`.
async fn at_provider(browser: &Browser, account: &str) {
    browser.wait_for("#login", WAIT).await.unwrap();
    browser.fill("#login", account).await.unwrap();
    browser.click("#sign-in").await.unwrap();
}

/// Logs out (of Pli and of ProConnect: the browser comes back to Pli's login page) and
/// begins a new ProConnect sign-in.
async fn out_and_in_again(browser: &Browser, base: &str) {
    browser.click("[data-testid=logout]").await.unwrap();
    browser
        .wait_for("[data-testid=proconnect-start]", WAIT)
        .await
        .unwrap();
    assert!(
        browser.url().await.unwrap().starts_with(base),
        "back on Pli"
    );
    browser
        .click("[data-testid=proconnect-start]")
        .await
        .unwrap();
}

/// Waits for the login page to say the ProConnect sign-in failed with `word`, and returns
/// what it says.
async fn refused(browser: &Browser, word: &str) -> String {
    let css = format!("[data-testid=proconnect-failure][data-failure={word}]");
    browser
        .wait_for(&css, WAIT)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A query parameter of `url`.
fn param(url: &str, name: &str) -> String {
    let (_, rest) = url.split_once(&format!("{name}=")).unwrap();
    rest.split('&').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_agent_signs_in_with_proconnect_and_every_forged_return_is_refused_in_french() {
    let (server, provider) = site().await;
    // What browsers use: http://localhost:<port> (the native clients use 127.0.0.1).
    let base = server.state.config.public_url.clone();
    let cast = cast(&server.base, &server.setup_token).await.unwrap();
    let caseworker = &cast.caseworker;
    assert_eq!(caseworker.email, "ts@d77.test", "the cast's address");

    // The Département's admin names its establishment and requires ProConnect, from the
    // admin page: a SIRET with a typo is named and nothing is saved.
    let admin = &cast.dept_admin;
    let mut page = Browser::open(&base, "proconnect-admin").await.unwrap();
    let code = pli_e2e::cast::totp(admin.totp.as_ref().unwrap(), 1).unwrap();
    page.log_in(
        &admin.email,
        PASSWORD,
        Some(&admin.account_key()),
        Some(&code),
    )
    .await
    .unwrap();
    page.goto("#/admin").await.unwrap();
    page.fill("[data-testid=proconnect-sirets]", "22770001000018")
        .await
        .unwrap();
    page.click("[data-testid=proconnect-required]")
        .await
        .unwrap();
    page.click("[data-testid=proconnect-submit]").await.unwrap();
    let typo = page.text("[data-testid=proconnect-invalid]").await.unwrap();
    assert!(
        typo.contains("22770001000018") && typo.contains("clé de contrôle"),
        "{typo}"
    );
    page.record("proconnect-admin-typo").await.unwrap();
    assert_eq!(
        admin.session.members(&cast.dept).await.unwrap().proconnect,
        ProConnectPolicy::default(),
        "nothing saved"
    );
    page.fill("[data-testid=proconnect-sirets]", "227 700 010 00019")
        .await
        .unwrap();
    page.click("[data-testid=proconnect-submit]").await.unwrap();
    page.wait_for_text("Enregistré.", WAIT).await.unwrap();
    page.record("proconnect-admin-saved").await.unwrap();
    page.check_accessibility("proconnect-admin").await.unwrap();
    page.close().await.unwrap();
    assert_eq!(
        admin.session.members(&cast.dept).await.unwrap().proconnect,
        ProConnectPolicy {
            sirets: vec![Siret::parse(DEPT_SIRET).unwrap()],
            required: true,
        }
    );

    // The password alone is refused: the Département requires ProConnect.
    let mut browser = Browser::open(&base, "proconnect").await.unwrap();
    browser.add_passkey_authenticator().await.unwrap();
    browser.goto("#/login").await.unwrap();
    browser
        .fill("#login-email", &caseworker.email)
        .await
        .unwrap();
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .fill("#login-account-key", &caseworker.account_key())
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "Votre service exige une identification avec ProConnect",
            WAIT,
        )
        .await
        .unwrap();
    browser.record("proconnect-required").await.unwrap();

    // « S'identifier avec ProConnect »: the provider, then back to the login page, which
    // says who ProConnect vouched for and asks only what unlocks the keys.
    browser.goto("#/login").await.unwrap();
    browser
        .click("[data-testid=proconnect-start]")
        .await
        .unwrap();
    at_provider(&browser, "camille").await;
    let who = browser
        .wait_for("[data-testid=proconnect-identity]", WAIT)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(who.contains("Camille Martin"), "{who}");
    assert!(
        who.contains("ts@d77.test") && who.contains(DEPT_SIRET),
        "{who}"
    );
    let readonly = browser
        .run("return document.getElementById('login-email').readOnly && document.getElementById('login-email').value")
        .await
        .unwrap();
    assert_eq!(
        readonly,
        serde_json::json!("ts@d77.test"),
        "the address is ProConnect's account's"
    );
    browser.record("proconnect-identity").await.unwrap();
    browser
        .check_accessibility("proconnect-identity")
        .await
        .unwrap();
    let signed_in = provider.last().unwrap().1.expect("the provider's return");
    // The refused login above kept nothing: this browser is asked the account key again.
    browser.fill("#login-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .fill("#login-account-key", &caseworker.account_key())
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser.find("[data-testid=logout]").await.unwrap();
    browser.record("proconnect-inbox").await.unwrap();

    // A passkey added now unlocks the keys after ProConnect too.
    browser.goto("#/account").await.unwrap();
    browser.click("[data-testid=passkey-add]").await.unwrap();
    browser.find("[data-testid=passkey-added]").await.unwrap();

    // Logging out ends the ProConnect session too: back on Pli's login page, ProConnect
    // asks who it is again; then the passkey unlocks.
    out_and_in_again(&browser, &base).await;
    at_provider(&browser, "camille").await;
    browser
        .wait_for("[data-testid=proconnect-identity]", WAIT)
        .await
        .unwrap();
    browser.click("[data-testid=login-passkey]").await.unwrap();
    browser.find("[data-testid=logout]").await.unwrap();
    browser.record("proconnect-passkey").await.unwrap();
    out_and_in_again(&browser, &base).await;
    browser.wait_for("#login", WAIT).await.unwrap();

    // A code already used, with this new sign-in's state: ProConnect refuses it.
    let (authorize, _) = provider.last().unwrap();
    let state = param(&authorize.unwrap(), "state");
    let code = param(&signed_in, "code");
    browser
        .visit(&format!(
            "{base}/api/proconnect/callback?code={code}&state={state}"
        ))
        .await
        .unwrap();
    let said = refused(&browser, "code_refused").await;
    assert!(said.contains("déjà servi"), "{said}");
    browser.record("proconnect-code-refused").await.unwrap();

    // The first return, replayed: its sign-in is spent.
    browser.visit(&signed_in).await.unwrap();
    let said = refused(&browser, "state_unknown").await;
    assert!(
        said.contains("ne correspond à aucune connexion en cours"),
        "{said}"
    );

    // A code issued for another nonce than the one this sign-in sent (an attacker's code
    // slipped into the return): refused.
    browser.goto("#/login").await.unwrap();
    browser
        .click("[data-testid=proconnect-start]")
        .await
        .unwrap();
    browser.wait_for("#login", WAIT).await.unwrap();
    let authorize = provider.last().unwrap().0.unwrap();
    let nonce = param(&authorize, "nonce");
    let forged = authorize.replace(
        &format!("nonce={nonce}"),
        &format!("nonce={}", "n".repeat(43)),
    );
    browser.visit(&forged).await.unwrap();
    at_provider(&browser, "camille").await;
    let said = refused(&browser, "nonce_mismatch").await;
    assert!(said.contains("émise pour une autre connexion"), "{said}");
    browser.record("proconnect-nonce-mismatch").await.unwrap();
    browser.close().await.unwrap();

    // Another browser takes too long at ProConnect (its sign-in's time is up: moved to
    // the past here), then comes as the court's greffier, whose establishment ProConnect
    // names as the Département's.
    let mut other = Browser::open(&base, "proconnect-refusals").await.unwrap();
    other.goto("#/login").await.unwrap();
    other.click("[data-testid=proconnect-start]").await.unwrap();
    other.wait_for("#login", WAIT).await.unwrap();
    let pool = sqlx::AnyPool::connect(&server.database_url).await.unwrap();
    sqlx::query("UPDATE ceremonies SET expires_at = 1 WHERE kind = 'proconnect'")
        .execute(&pool)
        .await
        .unwrap();
    at_provider(&other, "claude").await;
    let said = refused(&other, "state_expired").await;
    assert!(said.contains("a expiré"), "{said}");
    other.record("proconnect-expired").await.unwrap();
    other.click("[data-testid=proconnect-start]").await.unwrap();
    let said = refused(&other, "siret_refused").await;
    assert!(said.contains("SIRET"), "{said}");
    other.record("proconnect-siret-refused").await.unwrap();
    other
        .check_accessibility("proconnect-refused")
        .await
        .unwrap();
    other.close().await.unwrap();

    // Someone invited where ProConnect is required: their link asks for ProConnect first,
    // the login page then sends them back to the link, which now takes their password.
    let invited = cast
        .dept_admin
        .session
        .invite(
            &cast.dept,
            "nouvelle@d77.test",
            "Nina Nouvelle",
            pli_api::Role::Member,
        )
        .await
        .unwrap();
    let mut newcomer = Browser::open(&base, "proconnect-invited").await.unwrap();
    crate::journeys::open_link(&newcomer, &invited.link).await;
    newcomer
        .find("[data-testid=invitation-proconnect]")
        .await
        .unwrap();
    let no_form = newcomer
        .run("return document.getElementById('new-password') === null")
        .await
        .unwrap();
    assert_eq!(
        no_form,
        serde_json::json!(true),
        "no password before ProConnect"
    );
    newcomer
        .record("proconnect-invitation-gated")
        .await
        .unwrap();
    newcomer
        .click("[data-testid=invitation-proconnect] a")
        .await
        .unwrap();
    at_provider(&newcomer, "nina").await;
    newcomer
        .find("[data-testid=proconnect-invited]")
        .await
        .unwrap();
    newcomer.record("proconnect-invited-login").await.unwrap();
    crate::journeys::open_link(&newcomer, &invited.link).await;
    newcomer
        .find("[data-testid=invitation-proconnect-done]")
        .await
        .unwrap();
    newcomer.fill("#new-password", PASSWORD).await.unwrap();
    newcomer.fill("#repeat-password", PASSWORD).await.unwrap();
    newcomer.click("form button[type=submit]").await.unwrap();
    newcomer.keep_kit().await.unwrap();
    newcomer.close().await.unwrap();
    let members = cast.dept_admin.session.members(&cast.dept).await.unwrap();
    assert!(
        members
            .members
            .iter()
            .any(|m| m.email == "nouvelle@d77.test"),
        "the account was made"
    );
}
