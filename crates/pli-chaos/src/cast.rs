//! The people of a test platform, set up through the relay's HTTP API by the native
//! client (the same crypto crate the browser runs): the browser journeys start from it
//! (journey 1 does the set-up by hand in the browser instead), and so does the chaos
//! driver.

use anyhow::Context as _;
use pli_api::OrgId;
use pli_client::{Client, Session};
use pli_crypto::cert::OrgKind;
use pli_crypto::keys::UserKeys;

/// Every person's password in the journeys.
pub const PASSWORD: &str = "une phrase de passe assez longue";

pub use pli_server::testing::{cheap_kdf, totp_code as totp};

/// Someone with an account: how they log in, and their native session.
#[allow(missing_debug_implementations, reason = "holds keys")]
pub struct Person {
    /// Their address (their login).
    pub email: String,
    /// Their name as the directory shows it.
    pub name: String,
    /// Their TOTP secret, for admins.
    pub totp: Option<String>,
    /// The native session (the tests' other hand: admin work, checks).
    pub session: Session,
}

/// A court and a Département, each with an admin (TOTP on, organisation key published)
/// and a certified member holding that key; both let their members choose whether to use
/// two-factor authentication.
#[allow(missing_debug_implementations, reason = "holds keys")]
pub struct Cast {
    /// The platform administrator (holds the root key).
    pub platform: Person,
    /// "Tribunal judiciaire de Meaux — Parquet".
    pub court: OrgId,
    /// "Seine-et-Marne — ASE".
    pub dept: OrgId,
    /// The court's admin.
    pub court_admin: Person,
    /// The Département's admin.
    pub dept_admin: Person,
    /// A member of the court.
    pub greffier: Person,
    /// A member of the Département.
    pub caseworker: Person,
}

/// The court's name, as the directory shows it.
pub const COURT: &str = "Tribunal judiciaire de Meaux — Parquet";
/// The Département's name.
pub const DEPT: &str = "Seine-et-Marne — ASE";

/// `inviter` invites `email` into `org` with `role`; the invitation is accepted; the
/// inviter certifies the newcomer's keys (and, for members, grants them the
/// organisation key).
pub async fn join(
    client: &Client,
    inviter: &Person,
    org: &OrgId,
    who: (&str, &str, pli_api::Role),
) -> anyhow::Result<Person> {
    join_with_keys(client, inviter, org, who, UserKeys::generate()?).await
}

/// [`join`] with keys the caller made: X25519 ones (`UserKeys::generate_classic`) make a
/// person as versions before post-quantum keys did.
pub async fn join_with_keys(
    client: &Client,
    inviter: &Person,
    org: &OrgId,
    (email, name, role): (&str, &str, pli_api::Role),
    keys: UserKeys,
) -> anyhow::Result<Person> {
    let invitation = inviter.session.invite(org, email, name, role).await?;
    let link = pli_client::protocol::OneTimeLink::parse(&invitation.link)?;
    let root = link
        .root
        .context("the invitation link names no platform root")?;
    let mut session = Session::accept_invitation_with_keys(
        client,
        &link.token,
        PASSWORD,
        cheap_kdf()?,
        &root,
        None,
        keys,
    )
    .await?;
    inviter.session.certify(org, &session.me.user_id).await?;
    session.refresh_keys().await?;
    Ok(Person {
        email: email.into(),
        name: name.into(),
        totp: None,
        session,
    })
}

impl Person {
    /// Their account key, as their kit writes it (a browser asks for it at its first
    /// log-in).
    pub fn account_key(&self) -> String {
        self.session
            .account_key()
            .map(|k| k.to_text().to_string())
            .unwrap_or_default()
    }

    /// Turns TOTP on (admins must before anything else).
    pub async fn enable_totp(&mut self) -> anyhow::Result<()> {
        let secret = self
            .session
            .enable_totp(|s| totp(s, 0).unwrap_or_default())
            .await?;
        self.totp = Some(secret);
        Ok(())
    }

    /// The TOTP code to type now (empty for people without TOTP).
    pub fn code(&self) -> anyhow::Result<String> {
        self.totp
            .as_deref()
            .map_or(Ok(String::new()), |s| totp(s, 0))
    }
}

/// Sets up the whole [`Cast`] on the relay at `base` with its one-time set-up token.
pub async fn cast(base: &str, setup_token: &str) -> anyhow::Result<Cast> {
    let client = Client::new(base);
    let session = Session::setup_platform(
        &client,
        setup_token,
        "admin@pli.test",
        "Camille Admin",
        PASSWORD,
        cheap_kdf()?,
    )
    .await?;
    let mut platform = Person {
        email: "admin@pli.test".into(),
        name: "Camille Admin".into(),
        totp: None,
        session,
    };
    platform.enable_totp().await?;
    let court = platform
        .session
        .create_org(OrgKind::Court, COURT, "TJ-MEAUX-PARQUET")
        .await?;
    let dept = platform
        .session
        .create_org(OrgKind::Departement, DEPT, "D77-ASE")
        .await?;
    let admin = (
        "greffe.chef@tj-meaux.test",
        "Chef de greffe",
        pli_api::Role::OrgAdmin,
    );
    let mut court_admin = Box::pin(join(&client, &platform, &court, admin)).await?;
    let admin = ("ase.admin@d77.test", "Admin ASE", pli_api::Role::OrgAdmin);
    let mut dept_admin = Box::pin(join(&client, &platform, &dept, admin)).await?;
    for (admin, org) in [(&mut court_admin, court), (&mut dept_admin, dept)] {
        admin.enable_totp().await?;
        Box::pin(admin.session.rotate_org_key()).await?;
        // The journeys of other capabilities run with members who chose no second
        // factor: the organisations relax the default (journey 1 and
        // `account::second_factor_required_by_the_organisation` keep it).
        admin
            .session
            .set_second_factor(&org, pli_api::SecondFactor::Optional)
            .await?;
    }
    let member = (
        "greffier@tj-meaux.test",
        "Greffier Martin",
        pli_api::Role::Member,
    );
    let greffier = Box::pin(join(&client, &court_admin, &court, member)).await?;
    let member = (
        "ts@d77.test",
        "Travailleuse sociale Durand",
        pli_api::Role::Member,
    );
    let caseworker = Box::pin(join(&client, &dept_admin, &dept, member)).await?;
    Ok(Cast {
        platform,
        court,
        dept,
        court_admin,
        dept_admin,
        greffier,
        caseworker,
    })
}
