//! Service accounts, as an integrator sets one up: the court's admin issues its link, `pli
//! service enrol` makes its keys and secret on the integrating machine, the admin
//! certifies it comparing the fingerprint it printed, and the program then receives and
//! sends with no person's password anywhere — even once the court requires two-factor
//! authentication of its members. Removed by the admin, it is refused at once.

use std::fs;
use std::process::Stdio;

use pli_api::Role;
use pli_chaos::cast::DEPT;
use pli_crypto::sign::Fingerprint;
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
    admin.certify(&cast.court, &issued.user_id).await.unwrap();

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
    let into = temp_dir();
    let received = machine.json(
        &["receive", &id, "--to", into.path().to_str().unwrap()],
        None,
    );
    assert_eq!(received["received"][0]["sender"]["organisation"], DEPT);
    assert_eq!(entries(into.path()), ["rapport.pdf"]);
    assert!(fs::read(into.path().join("rapport.pdf")).unwrap() == report);

    // The program files a decision back; the Département's caseworker receives it.
    let decision = write(files.path(), "decision.pdf", &data(20_000, 5));
    let back = machine.json(
        &[
            "send",
            "--to",
            &cast.dept.to_string(),
            "--category",
            "decision",
            "--subject",
            "Ordonnance",
            decision.to_str().unwrap(),
        ],
        None,
    );
    let back = back["exchange_id"].as_str().unwrap().to_owned();
    let ase_dir = temp_dir();
    let got = ase.json(&["receive", &back, "--to", ase_dir.path().to_str().unwrap()]);
    assert_eq!(got["received"][0]["sender"]["name"], "Logiciel du greffe");

    // A service account adds no second factor of its own.
    let refused = {
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
        session
            .enable_totp(|_| "000000".to_owned())
            .await
            .unwrap_err()
    };
    assert_eq!(refused.code(), pli_api::ErrorCode::WrongState, "{refused}");

    // Removed by the admin: refused at once (status 4), its credential now worthless.
    admin
        .remove_member(&cast.court, &issued.user_id)
        .await
        .unwrap();
    let output = machine.run(&["inbox"], None);
    assert_status("removed", &output, 4, "cannot log in");
}
