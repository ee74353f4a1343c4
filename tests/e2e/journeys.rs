//! Journey 1, as people do it, in real Chromium against the real relay: the platform
//! admin sets the platform up with the one-time link, creates a court and a Département,
//! invites their first admins, and certifies them after comparing fingerprints; each
//! admin creates their service's key, the court's admin invites and certifies a member,
//! and that member sends a file the Département's admin opens. Every page on the way is
//! screenshotted and checked with axe-core.

use std::time::Duration;

use pli_e2e::cast::{COURT, DEPT, PASSWORD, totp};
use pli_e2e::{Backend, Browser, relay, until};

/// The text of the element matching `css`.
pub async fn text(browser: &Browser, css: &str) -> String {
    browser.find(css).await.unwrap().text().await.unwrap()
}

/// Waits until the element matching `css` says `wanted`.
pub async fn wait_for_in(browser: &Browser, css: &str, wanted: &str) {
    until(Duration::from_secs(30), || async move {
        let now = browser.find(css).await.unwrap().text().await;
        match now {
            Ok(t) if t.contains(wanted) => Ok(()),
            now => Err(format!("{css} never said {wanted:?}; it says {now:?}")),
        }
    })
    .await;
}

/// Opens a one-time link read from a page (its fragment, on this browser's relay).
pub async fn open_link(browser: &Browser, link: &str) {
    let (_, fragment) = link.split_once('#').expect("a link with a fragment");
    browser.goto(&format!("#{fragment}")).await.unwrap();
}

/// Journey 1, first part: the platform admin opens the one-time link, chooses a
/// password (the browser generates the root key and their keys), and enables TOTP.
async fn set_up_platform(browser: &mut Browser, token: &str) -> (String, String) {
    browser.goto(&format!("#/setup/{token}")).await.unwrap();
    browser.find("#setup-name").await.unwrap();
    // The log policy the authority is about to sign: the relay's two witnesses.
    let policy = browser.find("[data-testid=log-policy]").await.unwrap();
    let text = policy.text().await.unwrap();
    for witness in pli_server::testing::WITNESSES {
        assert!(text.contains(witness), "{text}");
    }
    assert!(text.contains("2 / 2"), "{text}");
    browser.record("setup").await.unwrap();
    browser.fill("#setup-name", "Camille Admin").await.unwrap();
    browser
        .fill("#setup-email", "admin@pli.test")
        .await
        .unwrap();
    // A common password: the page says why as it is typed (zxcvbn, in the page's
    // WebAssembly), and refuses it on submission before anything is sent (issue 9).
    browser
        .fill("#new-password", "motdepasse123")
        .await
        .unwrap();
    browser
        .wait_for_text(
            "Trop facile à deviner : il ressemble à un mot de passe très utilisé. Ajoutez des mots peu communs.",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    browser
        .fill("#repeat-password", "motdepasse123")
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .wait_for_text(
            "Ce mot de passe est trop facile à deviner.",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    browser.record("setup-weak-password").await.unwrap();
    browser.fill("#new-password", PASSWORD).await.unwrap();
    browser
        .wait_for_text(
            "Difficile à deviner : ce mot de passe convient.",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    browser.fill("#repeat-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    // The kit de secours first: the account key, made in this browser.
    let key = browser.keep_kit().await.unwrap();
    assert!(key.starts_with("PLI1-"), "{key}");
    // Admins must enable TOTP before anything else.
    let secret = enable_totp(browser).await;
    browser
        .wait_for_text("Plateforme", Duration::from_secs(30))
        .await
        .unwrap();
    (secret, key)
}

/// The root file's passphrase in journey 1.
const ROOT_PASSPHRASE: &str = "armoire forte, deuxième étage, clé bleue";

/// On the platform page just after set-up: the root exists only in this browser, and the
/// page says so until the authority saves the root file. Returns the file's text.
async fn save_root_file(platform: &mut Browser) -> String {
    platform.find("[data-testid=root-unsaved]").await.unwrap();
    platform.record("root-unsaved").await.unwrap();
    let fingerprint = text(platform, "[data-testid=root-fingerprint]").await;
    platform
        .fill("#root-passphrase", ROOT_PASSPHRASE)
        .await
        .unwrap();
    platform
        .fill("#root-passphrase-repeat", ROOT_PASSPHRASE)
        .await
        .unwrap();
    platform
        .click("[data-testid=root-export-submit]")
        .await
        .unwrap();
    platform.find("[data-testid=root-saved]").await.unwrap();
    platform.find("[data-testid=root-ok]").await.unwrap();
    platform.record("root-saved").await.unwrap();
    let short: String = fingerprint
        .split_whitespace()
        .take(2)
        .collect::<String>()
        .to_lowercase();
    let path = platform
        .downloaded(
            &format!("pli-cle-racine-{short}.txt"),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains(&fingerprint), "{saved}");
    assert!(saved.contains("-----BEGIN PLI ROOT KEY-----"), "{saved}");
    saved
}

/// The platform admin in a browser that never held the root: creating an organisation
/// is refused with the reason, until the root file is imported.
async fn import_root_file(base: &str, key: &str, secret: &str, saved: &str) {
    let mut fresh = Browser::open(base, "journey1-root").await.unwrap();
    // The file as the authority carries it, on a USB key.
    let file = fresh.downloads.path().join("cle-usb-racine.txt");
    std::fs::write(&file, saved).unwrap();
    fresh
        .log_in(
            "admin@pli.test",
            PASSWORD,
            Some(key),
            Some(&totp(secret, 1).unwrap()),
        )
        .await
        .unwrap();
    fresh.find("[data-testid=root-absent]").await.unwrap();
    fresh
        .select("#create-org-kind", "Juridiction")
        .await
        .unwrap();
    fresh
        .fill("#create-org-name", "Tribunal judiciaire de Melun")
        .await
        .unwrap();
    fresh.fill("#create-org-code", "TJ-MELUN").await.unwrap();
    fresh
        .click("[data-testid=create-org-submit]")
        .await
        .unwrap();
    fresh
        .wait_for_text(
            "Cette action demande la clé racine de la plateforme",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    fresh.record("root-absent").await.unwrap();
    // A wrong passphrase is named as such, and nothing is imported.
    let file = file.canonicalize().unwrap();
    fresh.attach("#root-file", &[&file]).await.unwrap();
    fresh
        .wait_for_text("Fichier choisi", Duration::from_secs(10))
        .await
        .unwrap();
    fresh
        .fill("#root-import-passphrase", "armoire forte")
        .await
        .unwrap();
    fresh
        .click("[data-testid=root-import-submit]")
        .await
        .unwrap();
    fresh
        .wait_for_text(
            "Cette phrase de passe n'ouvre pas ce fichier",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    fresh
        .fill("#root-import-passphrase", ROOT_PASSPHRASE)
        .await
        .unwrap();
    fresh
        .click("[data-testid=root-import-submit]")
        .await
        .unwrap();
    fresh.find("[data-testid=root-ok]").await.unwrap();
    fresh.record("root-imported").await.unwrap();
    fresh
        .click("[data-testid=create-org-submit]")
        .await
        .unwrap();
    wait_for_in(
        &fresh,
        "[data-testid=org-created]",
        "Tribunal judiciaire de Melun",
    )
    .await;
    fresh.close().await.unwrap();
}

/// On the page that requires two-factor authentication: turns it on, returns the secret.
pub async fn enable_totp(browser: &mut Browser) -> String {
    browser
        .wait_for_text(
            "Activer la double authentification",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    browser.record("totp-required").await.unwrap();
    browser.click("[data-testid=totp-start]").await.unwrap();
    let secret = text(browser, "#totp-secret").await;
    browser.record("totp-secret").await.unwrap();
    browser
        .fill("#totp-code", &totp(&secret, 0).unwrap())
        .await
        .unwrap();
    browser.click("[data-testid=totp-confirm]").await.unwrap();
    wait_gone(browser, "#totp-secret").await;
    secret
}

/// The platform admin creates an organisation and invites its first admin; returns the
/// invitation link the page shows.
async fn create_org(
    platform: &mut Browser,
    (kind, name, code): (&str, &str, &str),
    (admin, email): (&str, &str),
) -> String {
    platform.select("#create-org-kind", kind).await.unwrap();
    platform.fill("#create-org-name", name).await.unwrap();
    platform.fill("#create-org-code", code).await.unwrap();
    platform
        .click("[data-testid=create-org-submit]")
        .await
        .unwrap();
    wait_for_in(platform, "[data-testid=org-created]", name).await;
    platform
        .find(&format!("[data-testid=org-{code}]"))
        .await
        .unwrap();
    // The new organisation's panel opens, asking for its first admin.
    wait_for_in(platform, "#org-panel-title", code).await;
    platform
        .wait_for_text("n'a pas encore d'administrateur", Duration::from_secs(10))
        .await
        .unwrap();
    platform.record(&format!("org-{code}")).await.unwrap();
    platform.fill("#invite-name", admin).await.unwrap();
    platform.fill("#invite-email", email).await.unwrap();
    platform.click("[data-testid=invite-submit]").await.unwrap();
    let link = text(platform, "[data-testid=invitation-link]").await;
    assert!(link.contains("#/invitation/"), "{link}");
    platform.record(&format!("invited-{code}")).await.unwrap();
    link
}

/// Someone opens their invitation link in a fresh browser and chooses a password (the
/// browser generates their keys and account key, and shows the kit); returns the
/// browser, on the page that waits for certification, the signing fingerprint that page
/// shows, the account key the kit showed, and the platform's fingerprint the page shows.
pub async fn accept(
    base: &str,
    label: &str,
    link: &str,
    who: &str,
) -> (Browser, String, String, String) {
    let mut browser = Browser::open(base, label).await.unwrap();
    open_link(&browser, link).await;
    browser.find("#new-password").await.unwrap();
    browser
        .wait_for_text(who, Duration::from_secs(10))
        .await
        .unwrap();
    browser.record("invitation").await.unwrap();
    browser.fill("#new-password", PASSWORD).await.unwrap();
    browser.fill("#repeat-password", PASSWORD).await.unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    let key = browser.keep_kit().await.unwrap();
    let fingerprint = browser
        .wait_for(
            "[data-testid=my-signing-fingerprint]",
            Duration::from_secs(60),
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let root = text(&browser, "[data-testid=my-root-fingerprint]").await;
    browser.record("pending").await.unwrap();
    (browser, fingerprint, key, root)
}

/// The fingerprint `css` shows once loaded (eight groups of four digits).
async fn wait_for_fingerprint(browser: &Browser, css: &str) -> String {
    until(Duration::from_secs(30), || async move {
        let shown = text(browser, css).await;
        if shown.len() == 39 {
            Ok(shown)
        } else {
            Err(format!("{css} shows no fingerprint: {shown:?}"))
        }
    })
    .await
}

/// An admin certifies `email` after comparing the fingerprint their page shows with the
/// one the newcomer read to them (`expected`), and the platform's fingerprint on both
/// sides (`root`, what the newcomer's page shows; `None` when the test does not know it).
pub async fn certify(admin: &mut Browser, refresh: &str, email: &str, expected: &str) {
    certify_with_root(admin, refresh, email, expected, None).await;
}

/// [`certify`], also comparing the platform's fingerprint the newcomer's page shows.
pub async fn certify_with_root(
    admin: &mut Browser,
    refresh: &str,
    email: &str,
    expected: &str,
    root: Option<&str>,
) {
    admin.click(refresh).await.unwrap();
    admin
        .click(&format!("[data-testid=\"certify-{email}\"]"))
        .await
        .unwrap();
    let shown = text(admin, "[data-testid=certify-fingerprint]").await;
    assert_eq!(shown, expected, "the fingerprints differ");
    let platform = wait_for_fingerprint(admin, "[data-testid=certify-root]").await;
    if let Some(root) = root {
        assert_eq!(
            platform, root,
            "the newcomer's browser trusts another platform root"
        );
    }
    // The button stays disabled until the admin says they compared.
    let confirm = admin.find("[data-testid=certify-confirm]").await.unwrap();
    assert!(!confirm.is_enabled().await.unwrap());
    admin.record("certify").await.unwrap();
    admin.click("[data-testid=certify-compared]").await.unwrap();
    admin.click("[data-testid=certify-confirm]").await.unwrap();
    admin
        .find(&format!("[data-testid=\"member-{email}\"].active"))
        .await
        .unwrap();
    admin.record("certified").await.unwrap();
}

/// Waits until no element matches `css`.
pub async fn wait_gone(browser: &Browser, css: &str) {
    until(Duration::from_secs(30), || async move {
        match browser.has(css).await.unwrap() {
            false => Ok(()),
            true => Err(format!("{css} is still there")),
        }
    })
    .await;
}

/// The newcomer, certified, refreshes the waiting page and gets in.
async fn certified(browser: &Browser) {
    browser
        .click("[data-testid=pending-refresh]")
        .await
        .unwrap();
    wait_gone(browser, "[data-testid=pending-refresh]").await;
}

/// A newly certified admin turns TOTP on and creates the service key on `#/admin`.
async fn first_key(admin: &mut Browser) {
    certified(admin).await;
    enable_totp(admin).await;
    admin.goto("#/admin").await.unwrap();
    admin
        .wait_for_text("pas encore de clé", Duration::from_secs(30))
        .await
        .unwrap();
    admin.record("admin-no-key").await.unwrap();
    // The page starts with what to do first.
    admin.click("[data-testid=create-key-now]").await.unwrap();
    admin.find("[data-testid=rotate-confirm]").await.unwrap();
    admin.record("create-key").await.unwrap();
    admin.click("[data-testid=rotate-confirm]").await.unwrap();
    admin
        .wait_for("[data-testid=rotated]", Duration::from_secs(60))
        .await
        .unwrap();
    admin.find("[data-testid=key-1]").await.unwrap();
    // The organisation's first key is post-quantum (ML-KEM-768 + X25519).
    admin
        .find("[data-testid=key-1-post-quantum]")
        .await
        .unwrap();
    wait_gone(admin, "[data-testid=no-key]").await;
    admin.record("key-created").await.unwrap();
}

#[tokio::test]
async fn journey_1_platform_set_up_organisations_admins_and_a_member() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let base = server.base.clone();
    let mut platform = Browser::open(&base, "journey1").await.unwrap();
    let (secret, key) = set_up_platform(&mut platform, &server.setup_token).await;
    platform
        .find("[data-testid=root-fingerprint]")
        .await
        .unwrap();
    platform.record("platform").await.unwrap();
    let root_file = save_root_file(&mut platform).await;

    // The one-time link cannot be used twice.
    let mut second = Browser::open(&base, "journey1-reuse").await.unwrap();
    second
        .goto(&format!("#/setup/{}", server.setup_token))
        .await
        .unwrap();
    // It says the platform is most likely set up, shows no form, and does not send the
    // platform's own authority to "their administrator".
    second.find("[data-testid=setup-used]").await.unwrap();
    let said = text(&second, "[data-testid=setup-used]").await;
    assert!(said.contains("déjà en service"), "{said}");
    assert!(!said.contains("administrateur"), "{said}");
    let no_form = second
        .run("return document.querySelector('#setup-name') === null")
        .await
        .unwrap();
    assert_eq!(
        no_form,
        serde_json::Value::Bool(true),
        "no form for a used link"
    );
    second.record("setup-used").await.unwrap();
    // A link cut by a mail client is said to be incomplete, not used or expired.
    second
        .goto(&format!("#/setup/{}", &server.setup_token[..30]))
        .await
        .unwrap();
    second.find("[data-testid=link-incomplete]").await.unwrap();
    second.goto("#/invitation/AbC-trop-court").await.unwrap();
    second.find("[data-testid=link-incomplete]").await.unwrap();
    second.record("link-incomplete").await.unwrap();
    second.close().await.unwrap();

    // Two services, each with a first admin invited.
    let court_link = create_org(
        &mut platform,
        ("Juridiction", COURT, "TJ-MEAUX-PARQUET"),
        ("Chef de greffe", "greffe.chef@tj-meaux.test"),
    )
    .await;
    let dept_link = create_org(
        &mut platform,
        ("Département", DEPT, "D77-ASE"),
        ("Admin ASE", "ase.admin@d77.test"),
    )
    .await;

    // Each admin accepts; the platform admin certifies them, fingerprints compared.
    let (mut court, court_print, _, court_root) = accept(
        &base,
        "journey1-court-admin",
        &court_link,
        "greffe.chef@tj-meaux.test",
    )
    .await;
    let (mut dept, dept_print, _, dept_root) = accept(
        &base,
        "journey1-dept-admin",
        &dept_link,
        "ase.admin@d77.test",
    )
    .await;
    assert_ne!(court_print, dept_print);
    platform
        .click("[data-testid=manage-TJ-MEAUX-PARQUET]")
        .await
        .unwrap();
    wait_for_in(&platform, "#org-panel-title", "TJ-MEAUX-PARQUET").await;
    // The note about the Département just created goes with its panel.
    wait_gone(&platform, "[data-testid=org-created]").await;
    certify_with_root(
        &mut platform,
        "[data-testid=orgs-refresh]",
        "greffe.chef@tj-meaux.test",
        &court_print,
        Some(&court_root),
    )
    .await;
    // The page says what happens next for the new admin.
    platform
        .wait_for_text("active la double authentification", Duration::from_secs(10))
        .await
        .unwrap();
    platform
        .click("[data-testid=manage-D77-ASE]")
        .await
        .unwrap();
    wait_for_in(&platform, "#org-panel-title", "D77-ASE").await;
    certify_with_root(
        &mut platform,
        "[data-testid=orgs-refresh]",
        "ase.admin@d77.test",
        &dept_print,
        Some(&dept_root),
    )
    .await;
    platform.close().await.unwrap();
    // Another browser holds the root only once the file is imported.
    import_root_file(&base, &key, &secret, &root_file).await;

    // Each admin enables TOTP and creates their service's key.
    first_key(&mut court).await;
    first_key(&mut dept).await;

    // The court's admin invites a member, who accepts; the admin certifies them, which
    // grants them the key.
    court.fill("#invite-name", "Greffier Martin").await.unwrap();
    court
        .fill("#invite-email", "greffier@tj-meaux.test")
        .await
        .unwrap();
    court.click("[data-testid=invite-submit]").await.unwrap();
    let member_link = text(&court, "[data-testid=invitation-link]").await;
    court.record("member-invited").await.unwrap();
    let (mut member, member_print, _, member_root) = accept(
        &base,
        "journey1-member",
        &member_link,
        "greffier@tj-meaux.test",
    )
    .await;
    certify_with_root(
        &mut court,
        "[data-testid=members-refresh]",
        "greffier@tj-meaux.test",
        &member_print,
        Some(&member_root),
    )
    .await;
    court
        .wait_for_text("a reçu les clés du service", Duration::from_secs(10))
        .await
        .unwrap();
    let row = text(&court, "[data-testid=\"member-greffier@tj-meaux.test\"]").await;
    assert!(!row.contains("N'a pas la clé actuelle"), "{row}");
    court.close().await.unwrap();
    certified(&member).await;
    // A new organisation requires two-factor authentication of its members: the member
    // turns it on before anything else.
    enable_totp(&mut member).await;

    // It works: the member sees the Département with a verified key and sends it a file,
    // which the Département's admin opens.
    member.goto("#/send").await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("note.pdf");
    std::fs::write(&path, b"%PDF-1.4 note de situation").unwrap();
    member
        .fill_send_form(&[&path], DEPT, "Demande", "Demande de rapport de situation")
        .await
        .unwrap();
    member.record("compose").await.unwrap();
    member.click("[data-testid=send]").await.unwrap();
    member
        .wait_for("[data-testid=sent]", Duration::from_secs(60))
        .await
        .unwrap();
    member.record("sent").await.unwrap();
    member.close().await.unwrap();

    dept.goto("#/inbox").await.unwrap();
    dept.wait_for("[data-testid=exchange-row]", Duration::from_secs(30))
        .await
        .unwrap()
        .find(fantoccini::Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    dept.find("[data-testid=verified-badge]").await.unwrap();
    dept.wait_for_text("Greffier Martin", Duration::from_secs(10))
        .await
        .unwrap();
    dept.record("received").await.unwrap();
    dept.close().await.unwrap();
}
