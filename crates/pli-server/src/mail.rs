//! E-mail notifications, with no content: "a new exchange arrived for your service",
//! and a link to the relay. Never a subject, a file name or a sender's message.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// Sends notifications through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

/// What to tell someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An exchange arrived for their organisation.
    NewExchange {
        /// Whether it is urgent.
        urgent: bool,
    },
    /// They were invited; the link carries the token.
    Invitation,
    /// Their two-factor authentication or password changed.
    CredentialsChanged,
}

impl Mailer {
    /// A mailer for `smtp://host:port` (plain SMTP, for a local relay or a test sink).
    pub fn new(url: &str, from: &str, public_url: &str) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let rest = url
            .strip_prefix("smtp://")
            .context("PLI_SMTP_URL must look like smtp://host:port")?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().context("bad SMTP port")?),
            None => (rest, 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        Ok(Self {
            transport,
            from: from.parse().context("bad PLI_SMTP_FROM address")?,
            public_url: public_url.to_owned(),
        })
    }

    /// Sends `notice` to `to`; failures are logged, not returned (a notification must
    /// never fail the request that caused it).
    pub async fn send(&self, to: &str, notice: Notice, link: Option<&str>) {
        let (subject, body) = match notice {
            Notice::NewExchange { urgent } => (
                if urgent { "[Pli] Nouveau pli URGENT pour votre service" } else { "[Pli] Nouveau pli pour votre service" },
                format!(
                    "Bonjour,\n\nUn nouveau pli est arrivé pour votre service.\nOuvrez Pli pour le consulter : {}\n\n\
                     Ce message ne contient aucune information sur le pli lui-même.\n",
                    self.public_url
                ),
            ),
            Notice::Invitation => (
                "[Pli] Invitation à rejoindre votre service",
                format!(
                    "Bonjour,\n\nVous êtes invité(e) à rejoindre Pli.\nOuvrez ce lien pour créer votre compte : {}\n",
                    link.unwrap_or(&self.public_url)
                ),
            ),
            Notice::CredentialsChanged => (
                "[Pli] Vos identifiants ont changé",
                "Bonjour,\n\nVotre mot de passe ou votre double authentification vient de changer.\n\
                 Si vous n'êtes pas à l'origine de ce changement, prévenez votre administrateur.\n"
                    .to_owned(),
            ),
        };
        let Ok(to) = to.parse::<Mailbox>() else {
            tracing::warn!("notification skipped: invalid address");
            return;
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body);
        match message {
            Ok(message) => {
                if let Err(error) = self.transport.send(message).await {
                    tracing::warn!(error = %error, "notification not sent");
                }
            }
            Err(error) => tracing::warn!(error = %error, "notification not built"),
        }
    }
}
