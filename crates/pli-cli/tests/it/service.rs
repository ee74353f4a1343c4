//! Service accounts, as an integrator sets one up: the court's admin issues its link, `pli
//! service enrol` makes its keys and secret on the integrating machine, the admin
//! certifies it comparing the fingerprint it printed, and the program then receives and
//! sends with no person's password anywhere — even once the court requires two-factor
//! authentication of its members. Removed by the admin, it is refused at once.

use std::fs;
use std::process::Stdio;

use pli_api::Role;
use pli_api::messages::CertifyRequest;
use pli_chaos::cast::DEPT;
use pli_crypto::cert::UserCertificate;
use pli_crypto::keys::EncryptionKey;
use pli_crypto::sign::{Fingerprint, Signed};
use serde_json::Value;

use crate::harness::{data, entries, pli, temp_dir};
use crate::network::{User, assert_status, relay, row, write};

/// The integrating machine: its profile folder, and no person's credentials at all.
struct Machine {
    home: tempfile::TempDir,
}

impl Machine {
    fn run(&self, args: &[&str], link: Option<&str>) -> std::process::Output {
        let mut command = pli();
        command
            .args(args)
            .env("PLI_HOME", self.home.path())
            .env_remove("PLI_EMAIL")
            .env_remove("PLI_PASSWORD")
            .env_remove("PLI_ACCOUNT_KEY")
            .env_remove("PLI_TOTP")
            .env_remove("PLI_SERVICE_CREDENTIAL")
            .stdin(Stdio::null());
        match link {
            Some(link) => command.env("PLI_LINK", link),
            None => command.env_remove("PLI_LINK"),
        };
        tokio::task::block_in_place(|| command.output().unwrap())
    }

    fn json(&self, args: &[&str], link: Option<&str>) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let output = self.run(&args, link);
        assert!(
            output.status.success(),
            "pli {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Sends `file` to organisation `to` as a decision; the exchange's id.
    fn send_decision(&self, to: &pli_api::OrgId, subject: &str, file: &std::path::Path) -> String {
        let sent = self.json(
            &[
                "send",
                "--to",
                &to.to_string(),
                "--category",
                "decision",
                "--subject",
                subject,
                file.to_str().unwrap(),
            ],
            None,
        );
        sent["exchange_id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_is_enrolled_certified_sends_receives_and_is_revoked() {
    let (server, cast) = Box::pin(relay()).await;
    let admin = &cast.court_admin.session;
    let machine = Machine { home: temp_dir() };

    // A person's link is not a service account's.
    let person = admin
        .invite(
            &cast.court,
            "stagiaire@tj-meaux.test",
            "Stagiaire",
            Role::Member,
        )
        .await
        .unwrap();
    let output = machine.run(
        &["service", "enrol", "--url", &server.base],
        Some(&person.link),
    );
    assert_status("a person's link", &output, 1, "this link is a person's");

    let issued = admin
        .invite_service(
            &cast.court,
            "informatique@tj-meaux.test",
            "Logiciel du greffe",
        )
        .await
        .unwrap();
    let enrolled = machine.json(
        &["service", "enrol", "--url", &server.base],
        Some(&issued.link),
    );
    assert_eq!(enrolled["email"], "informatique@tj-meaux.test");
    assert_eq!(enrolled["status"], "pending");
    let credential = machine.home.path().join("service.json");
    assert_eq!(enrolled["credential"], credential.to_str().unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&credential).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let profile = fs::read_to_string(machine.home.path().join("profile.json")).unwrap();
    let kept: Value = serde_json::from_slice(&fs::read(&credential).unwrap()).unwrap();
    let secret = kept["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert!(!profile.contains(secret), "the profile holds no secret");
    // A second enrolment on the same machine would lose the first credential: refused.
    let again = machine.run(
        &["service", "enrol", "--url", &server.base],
        Some(&issued.link),
    );
    assert_status("enrolled twice", &again, 1, "already at");

    // The admin sees a pending service account, with the keys made on the machine, and
    // certifies it after comparing the fingerprint.
    let members = admin.members(&cast.court).await.unwrap();
    let listed = members
        .members
        .iter()
        .find(|m| m.user_id == issued.user_id)
        .unwrap();
    assert!(listed.service && !listed.totp_enabled, "{listed:?}");
    let key: [u8; 32] = listed.keys.signing_key.0.clone().try_into().unwrap();
    let key = pli_crypto::sign::VerifyingKey::from_bytes(&key).unwrap();
    assert_eq!(
        enrolled["signing_fingerprint"],
        Fingerprint::of_signing_key(&key).to_hex().as_str()
    );
    // A certificate that would present the program as a person is refused: what the
    // relay lists is what the admin signs.
    let now = crate::harness::now_ms();
    let as_person = UserCertificate {
        user_id: issued.user_id,
        org_id: cast.court,
        role: Role::Member,
        service: false,
        display_name: "Logiciel du greffe".into(),
        signing_key: key,
        encryption_key: EncryptionKey::from_bytes(&listed.keys.encryption_key.0).unwrap(),
        issued_at: now,
        issuer: admin.keys.signing.verifying_key().fingerprint(),
        expires_at: Some(now + pli_crypto::cert::VALIDITY_MS),
    };
    let request = CertifyRequest {
        certificate: Signed::sign(&as_person, &admin.keys.signing)
            .unwrap()
            .to_wire(),
        grants: Vec::new(),
    };
    let refused = admin
        .client()
        .submit(
            &pli_api::endpoints::Certify {
                org: cast.court,
                user: issued.user_id,
            },
            &request,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::BadCertificate,
        "{refused}"
    );
    // An admin's page that showed a person's account: the client signs nothing, since
    // the relay lists a program's now.
    let shown_otherwise = admin
        .certify_shown(&cast.court, &issued.user_id, Some(false))
        .await
        .unwrap_err();
    assert!(
        shown_otherwise
            .to_string()
            .contains("otherwise than the page showed"),
        "{shown_otherwise}"
    );
    admin
        .certify_shown(&cast.court, &issued.user_id, Some(true))
        .await
        .unwrap();

    // The court now requires two-factor authentication of its members: a person without
    // it is held back, the service account is not (it holds none, and cannot add one).
    admin
        .set_second_factor(&cast.court, pli_api::SecondFactor::Required)
        .await
        .unwrap();

    // The Département sends; the program receives it, verified, with no password set.
    let ase = User::of(&cast.caseworker);
    ase.ok(&["login", "--url", &server.base]);
    let files = temp_dir();
    let report = data(300_000, 4);
    let path = write(files.path(), "rapport.pdf", &report);
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "rapport",
        "--subject",
        "Rapport de situation",
        path.to_str().unwrap(),
    ]);
    let id = sent["exchange_id"].as_str().unwrap().to_owned();
    let who = machine.json(&["whoami"], None);
    assert_eq!(who["email"], "informatique@tj-meaux.test");
    assert_eq!(who["status"], "active");
    let inbox = machine.json(&["inbox"], None);
    assert_eq!(row(&inbox, &id)["subject"], "Rapport de situation");
    assert_eq!(row(&inbox, &id)["sender_service"], false);
    let into = temp_dir();
    let received = machine.json(
        &["receive", &id, "--to", into.path().to_str().unwrap()],
        None,
    );
    assert_eq!(received["received"][0]["sender"]["organisation"], DEPT);
    assert_eq!(received["received"][0]["sender"]["service"], false);
    assert_eq!(entries(into.path()), ["rapport.pdf"]);
    assert!(fs::read(into.path().join("rapport.pdf")).unwrap() == report);

    // Its certificate renewed: the same keys, still marked as a program's.
    admin
        .renew_certificate(&cast.court, &issued.user_id)
        .await
        .unwrap();

    // The program files a decision back; the Département's caseworker receives it.
    let decision = write(files.path(), "decision.pdf", &data(20_000, 5));
    let back = machine.send_decision(&cast.dept, "Ordonnance", &decision);
    assert_eq!(row(&ase.json(&["inbox"]), &back)["sender_service"], true);
    let ase_dir = temp_dir();
    let got = ase.json(&["receive", &back, "--to", ase_dir.path().to_str().unwrap()]);
    assert_eq!(got["received"][0]["sender"]["name"], "Logiciel du greffe");
    // Signed as a program's by the court's admin: the caseworker is told so.
    assert_eq!(got["received"][0]["sender"]["service"], true);

    // A service account adds no second factor of its own, and its secret changes only
    // through a reset (a stolen credential cannot lock the program out).
    let (totp, password) = {
        let mut session = pli_client::Session::login(
            &pli_client::Client::new(&server.base),
            "informatique@tj-meaux.test",
            secret,
            Some(
                &pli_crypto::account_key::AccountKey::parse(kept["account_key"].as_str().unwrap())
                    .unwrap(),
            ),
            None,
            None,
        )
        .await
        .unwrap();
        let totp = session
            .enable_totp(|_| "000000".to_owned())
            .await
            .unwrap_err();
        let password = session
            .change_password("Une phrase choisie par un voleur de secret")
            .await
            .unwrap_err();
        (totp, password)
    };
    assert_eq!(totp.code(), pli_api::ErrorCode::WrongState, "{totp}");
    assert_eq!(
        password.code(),
        pli_api::ErrorCode::WrongState,
        "{password}"
    );

    // A credential others can read is refused, as ssh refuses such a key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&credential, fs::Permissions::from_mode(0o644)).unwrap();
        let output = machine.run(&["whoami"], None);
        assert_status("readable by others", &output, 1, "can be read by others");
        fs::set_permissions(&credential, fs::Permissions::from_mode(0o600)).unwrap();
    }

    // Removed by the admin: refused at once (status 4), its credential now worthless.
    admin
        .remove_member(&cast.court, &issued.user_id)
        .await
        .unwrap();
    let output = machine.run(&["inbox"], None);
    assert_status("removed", &output, 4, "cannot log in");
}

/// The same set-up as the court's admin lives it, in Chromium: « Compte de service »
/// ticked on the members page shows the link with what to do with it; the link opened in
/// a browser says it is for `pli service enrol` and offers no password form; once
/// enrolled, the account is listed as a program's and certified with the fingerprint
/// `enrol` printed, the way a member is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_a_service_account_from_the_members_page() {
    let web = pli_server::testing::web_dist().unwrap();
    let (server, cast) = Box::pin(crate::network::relay_with(move |config| {
        config.web_dir = Some(web);
    }))
    .await;
    let court_admin = &cast.court_admin;
    let mut admin = Box::pin(pli_e2e::Browser::open(&server.base, "service-admin"))
        .await
        .unwrap();
    let code = pli_chaos::cast::totp(court_admin.totp.as_ref().unwrap(), 1).unwrap();
    Box::pin(admin.log_in(
        &court_admin.email,
        pli_chaos::cast::PASSWORD,
        Some(&court_admin.account_key()),
        Some(&code),
    ))
    .await
    .unwrap();
    admin.goto("#/admin").await.unwrap();
    let email = "informatique@tj-meaux.test";
    admin
        .fill("#invite-name", "Logiciel du greffe")
        .await
        .unwrap();
    admin.fill("#invite-email", email).await.unwrap();
    admin.click("[data-testid=invite-service]").await.unwrap();
    admin.click("[data-testid=invite-submit]").await.unwrap();
    admin
        .find("[data-testid=invitation-service]")
        .await
        .unwrap();
    let link = admin
        .find("[data-testid=invitation-link]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    admin.record("service-invited").await.unwrap();

    // Opened in a browser: sent to the command line, no password asked.
    let mut opened = Box::pin(pli_e2e::Browser::open(&server.base, "service-link"))
        .await
        .unwrap();
    let fragment = link.split_once('#').map_or(link.as_str(), |(_, f)| f);
    opened.goto(&format!("#{fragment}")).await.unwrap();
    let said = opened
        .find("[data-testid=invitation-service]")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(said.contains("pli service enrol"), "{said}");
    let form = opened
        .run("return document.querySelector('section form') !== null;")
        .await
        .unwrap();
    assert_eq!(form, Value::Bool(false), "no password form");
    opened.record("service-link").await.unwrap();
    opened.close().await.unwrap();

    let machine = Machine { home: temp_dir() };
    let enrolled = machine.json(&["service", "enrol", "--url", &server.base], Some(&link));
    let shown = enrolled["signing_fingerprint_shown"].as_str().unwrap();

    // Listed as a program's, certified comparing the fingerprint.
    admin.click("[data-testid=members-refresh]").await.unwrap();
    let row = format!("[data-testid=\"member-{email}\"]");
    admin
        .find(&format!("{row} [data-testid=member-service]"))
        .await
        .unwrap();
    admin
        .click(&format!("[data-testid=\"certify-{email}\"]"))
        .await
        .unwrap();
    let compared = admin
        .text("[data-testid=certify-fingerprint]")
        .await
        .unwrap();
    assert_eq!(compared, shown, "the fingerprints differ");
    admin.record("service-certify").await.unwrap();
    admin.click("[data-testid=certify-compared]").await.unwrap();
    admin.click("[data-testid=certify-confirm]").await.unwrap();
    admin.find(&format!("{row}.active")).await.unwrap();
    admin.record("service-certified").await.unwrap();
    admin.close().await.unwrap();
    assert_eq!(machine.json(&["whoami"], None)["status"], "active");

    // The program files a decision; the caseworker's browser shows it verified, and
    // says a program sent it: the admin's browser signed it as one.
    let files = temp_dir();
    let decision = write(files.path(), "ordonnance.pdf", &data(40_000, 9));
    let id = machine.send_decision(&cast.dept, "Ordonnance de placement provisoire", &decision);
    let mut caseworker = Box::pin(pli_e2e::Browser::logged_in(
        &server.base,
        "service-recipient",
        &cast.caseworker,
    ))
    .await
    .unwrap();
    // Marked in the inbox's row already, then on the exchange's page.
    let listed = caseworker
        .text(&format!(
            "[data-testid=exchange-row][data-exchange-id=\"{id}\"] [data-testid=sender-service]"
        ))
        .await
        .unwrap();
    assert_eq!(listed, "logiciel");
    caseworker.goto(&format!("#/exchange/{id}")).await.unwrap();
    let badge = caseworker
        .text("[data-testid=verified-badge]")
        .await
        .unwrap();
    assert!(badge.contains("Logiciel du greffe"), "{badge}");
    let program = caseworker
        .text("[data-testid=sender-service]")
        .await
        .unwrap();
    assert!(program.contains("logiciel"), "{program}");
    caseworker.record("service-sent").await.unwrap();

    // The caseworker's report, received by the program: its signed receipt says a program
    // read it, on the report's page and in the sent list.
    let ase = User::of(&cast.caseworker);
    ase.ok(&["login", "--url", &server.base]);
    let report = write(files.path(), "rapport.pdf", &data(30_000, 4));
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "rapport",
        "--subject",
        "Rapport de situation",
        report.to_str().unwrap(),
    ]);
    let report_id = sent["exchange_id"].as_str().unwrap().to_owned();
    let into = temp_dir();
    machine.json(
        &["receive", &report_id, "--to", into.path().to_str().unwrap()],
        None,
    );
    caseworker
        .goto(&format!("#/exchange/{report_id}"))
        .await
        .unwrap();
    let receipt = caseworker
        .text("[data-testid=receipt]:has([data-testid=reader-service])")
        .await
        .unwrap();
    assert!(
        receipt.contains("Logiciel du greffe") && receipt.contains("logiciel"),
        "{receipt}"
    );
    caseworker.goto("#/outbox").await.unwrap();
    let reader = caseworker
        .text("[data-testid=reader]:has([data-testid=reader-service])")
        .await
        .unwrap();
    assert!(reader.contains("Logiciel du greffe"), "{reader}");
    caseworker.record("service-receipt").await.unwrap();
    caseworker.close().await.unwrap();

    // Its credential opens no browser session, even typed in the login page.
    let kept: Value =
        serde_json::from_slice(&std::fs::read(machine.home.path().join("service.json")).unwrap())
            .unwrap();
    let browser = Box::pin(pli_e2e::Browser::open(
        &server.base,
        "service-browser-login",
    ))
    .await
    .unwrap();
    browser.goto("#/login").await.unwrap();
    browser.fill("#login-email", email).await.unwrap();
    browser
        .fill("#login-password", kept["secret"].as_str().unwrap())
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    browser
        .fill("#login-account-key", kept["account_key"].as_str().unwrap())
        .await
        .unwrap();
    browser.click("form button[type=submit]").await.unwrap();
    let alert = browser
        .find("form .alert")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!alert.is_empty(), "the login page says why");
    browser.find("#login-email").await.unwrap();
    browser.close().await.unwrap();
}
