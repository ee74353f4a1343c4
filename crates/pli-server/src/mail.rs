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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An exchange arrived for their organisation.
    NewExchange {
        /// Whether it is urgent.
        urgent: bool,
    },
    /// They were invited; the link carries the token.
    Invitation,
    /// An admin issued them a reset link; the link carries the token. (Who issued it
    /// and when is a notice of its own, [`Notice::ResetIssued`], which carries no link.)
    ResetLink,
    /// A reset was issued for their account: by whom, when, and whether accepting it
    /// clears their second factor. No link: whoever did not ask for it is told what to do.
    ResetIssued {
        /// The issuing admin's name.
        by: String,
        /// When (milliseconds since the epoch).
        at: u64,
        /// The admin said they lost their authenticator too.
        clears_second_factor: bool,
    },
    /// A reset was accepted: the account's password and keys were replaced.
    ResetAccepted {
        /// The name of the admin who issued the link.
        by: String,
        /// When (milliseconds since the epoch).
        at: u64,
        /// Whether their second factor was cleared with it.
        second_factor_cleared: bool,
    },
    /// Their two-factor authentication or password changed.
    CredentialsChanged,
}

/// What a notice says: its subject and body, with `link` where it carries one (the
/// invitation and the reset link only) and `public_url` where it points to the service.
fn text(notice: &Notice, link: Option<&str>, public_url: &str) -> (&'static str, String) {
    const IF_NOT_YOU: &str = "Si vous n'êtes pas à l'origine de cette demande, prévenez sans attendre \
         un autre administrateur de votre service ou son responsable de la sécurité\u{a0}: quelqu'un \
         pourrait chercher à se faire passer pour vous.\n";
    match notice {
        Notice::NewExchange { urgent } => (
            if *urgent {
                "[Pli] Nouveau pli URGENT pour votre service"
            } else {
                "[Pli] Nouveau pli pour votre service"
            },
            format!(
                "Bonjour,\n\nUn nouveau pli est arrivé pour votre service.\nOuvrez Pli pour le consulter : {public_url}\n\n\
                 Ce message ne contient aucune information sur le pli lui-même.\n"
            ),
        ),
        Notice::Invitation => (
            "[Pli] Invitation à rejoindre votre service",
            format!(
                "Bonjour,\n\nVous êtes invité(e) à rejoindre Pli.\nOuvrez ce lien pour créer votre compte : {}\n",
                link.unwrap_or(public_url)
            ),
        ),
        Notice::ResetLink => (
            "[Pli] Lien pour recréer votre accès",
            format!(
                "Bonjour,\n\nOuvrez ce lien pour choisir un nouveau mot de passe et obtenir de nouvelles clés\u{a0}: {}\n\n\
                 Un autre message vous dit qui a émis ce lien, et que faire si vous ne l'avez pas demandé.\n",
                link.unwrap_or(public_url)
            ),
        ),
        Notice::ResetIssued {
            by,
            at,
            clears_second_factor,
        } => (
            "[Pli] Réinitialisation de votre compte",
            format!(
                "Bonjour,\n\n{by}, administrateur de votre service, a émis {} un lien pour recréer \
                 votre accès à Pli\u{a0}: la personne qui l'utilise choisit un nouveau mot de passe et de \
                 nouvelles clés pour votre compte, et vos anciennes clés ne serviront plus.\n\n{}\n\n{IF_NOT_YOU}",
                paris_time(*at),
                if *clears_second_factor {
                    "Votre administrateur a indiqué que vous aviez aussi perdu votre application \
                     d'authentification ou votre clé d'accès (passkey)\u{a0}: l'utilisation de ce lien \
                     retirera votre double authentification et vos clés d'accès."
                } else {
                    "Votre double authentification est conservée\u{a0}: ce lien ne sert qu'avec un code \
                     de votre application d'authentification."
                }
            ),
        ),
        Notice::ResetAccepted {
            by,
            at,
            second_factor_cleared,
        } => (
            "[Pli] Votre compte a été réinitialisé",
            format!(
                "Bonjour,\n\nLe mot de passe et les clés de votre compte Pli ont été remplacés {}, \
                 avec le lien émis par {by}, administrateur de votre service. {}\n\
                 Votre administrateur doit certifier vos nouvelles clés avant que vous n'accédiez \
                 de nouveau aux plis, et ceux qui recevront vos plis verront pendant 30 jours que \
                 vos clés ont été renouvelées.\n\n{IF_NOT_YOU}",
                paris_time(*at),
                if *second_factor_cleared {
                    "Votre double authentification a été retirée\u{a0}: activez-la de nouveau depuis «\u{a0}Mon compte\u{a0}»."
                } else {
                    "Votre double authentification est conservée."
                }
            ),
        ),
        Notice::CredentialsChanged => (
            "[Pli] Vos identifiants ont changé",
            "Bonjour,\n\nVotre mot de passe ou votre double authentification vient de changer.\n\
             Si vous n'êtes pas à l'origine de ce changement, prévenez votre administrateur.\n"
                .to_owned(),
        ),
    }
}

/// `at` (milliseconds since the epoch) as people in France read it: « le 12/03/2026 à
/// 15 h 05 (heure de Paris) ». Paris is UTC+1, and UTC+2 in summer time: from the last
/// Sunday of March to the last Sunday of October, at 01:00 UTC both (the EU rule since 1996).
pub(crate) fn paris_time(at: u64) -> String {
    let utc_seconds = at / 1000;
    let (year, _, _) = civil(utc_seconds / 86_400);
    let summer = last_sunday(year, 3) * 86_400 + 3_600..last_sunday(year, 10) * 86_400 + 3_600;
    let offset = if summer.contains(&utc_seconds) {
        7_200
    } else {
        3_600
    };
    let local = utc_seconds + offset;
    let (year, month, day) = civil(local / 86_400);
    let minutes = local % 86_400 / 60;
    format!(
        "le {day:02}/{month:02}/{year} à {}\u{a0}h\u{a0}{:02} (heure de Paris)",
        minutes / 60,
        minutes % 60
    )
}

/// The date of day `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`, for days
/// on or after the epoch).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of `year`-`month`-`day` (`days_from_civil`, years from 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let yoe = year % 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 of the last Sunday of `month` (March or October: 31 days).
fn last_sunday(year: u64, month: u64) -> u64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: day 0 is weekday 4 (Sunday 0).
    last - (last + 4) % 7
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
        let (subject, body) = text(&notice, link, &self.public_url);
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

#[cfg(test)]
mod tests {
    use super::{Notice, paris_time, text};

    #[test]
    fn times_are_written_in_paris_time_winter_and_summer() {
        // 2026-01-15 12:00 UTC: winter, UTC+1.
        assert_eq!(
            paris_time(1_768_478_400_000),
            "le 15/01/2026 à 13\u{a0}h\u{a0}00 (heure de Paris)"
        );
        // 2026-07-14 21:30 UTC: summer, UTC+2.
        assert_eq!(
            paris_time(1_784_064_600_000),
            "le 14/07/2026 à 23\u{a0}h\u{a0}30 (heure de Paris)"
        );
        // 2026-12-31 23:30 UTC: already the next year in Paris.
        assert_eq!(
            paris_time(1_798_759_800_000),
            "le 01/01/2027 à 0\u{a0}h\u{a0}30 (heure de Paris)"
        );
        // Summer time begins on 2026-03-29 at 01:00 UTC and ends on 2026-10-25 at 01:00 UTC.
        assert_eq!(
            paris_time(1_774_745_940_000),
            "le 29/03/2026 à 1\u{a0}h\u{a0}59 (heure de Paris)"
        );
        assert_eq!(
            paris_time(1_774_746_000_000),
            "le 29/03/2026 à 3\u{a0}h\u{a0}00 (heure de Paris)"
        );
        assert_eq!(
            paris_time(1_792_889_940_000),
            "le 25/10/2026 à 2\u{a0}h\u{a0}59 (heure de Paris)"
        );
        assert_eq!(
            paris_time(1_792_890_000_000),
            "le 25/10/2026 à 2\u{a0}h\u{a0}00 (heure de Paris)"
        );
    }

    #[test]
    fn reset_notices_name_the_admin_and_carry_no_link() {
        let link = Some("https://pli.test/#/invitation/SECRET-TOKEN");
        for notice in [
            Notice::ResetIssued {
                by: "Chef de greffe".into(),
                at: 1_768_478_400_000,
                clears_second_factor: false,
            },
            Notice::ResetIssued {
                by: "Chef de greffe".into(),
                at: 1_768_478_400_000,
                clears_second_factor: true,
            },
            Notice::ResetAccepted {
                by: "Chef de greffe".into(),
                at: 1_768_478_400_000,
                second_factor_cleared: true,
            },
        ] {
            let (_, body) = text(&notice, link, "https://pli.test");
            assert!(body.contains("Chef de greffe"), "{body}");
            assert!(body.contains("le 15/01/2026"), "{body}");
            assert!(!body.contains("SECRET-TOKEN"), "{body}");
            assert!(!body.contains("invitation"), "{body}");
        }
        let (_, link_body) = text(&Notice::ResetLink, link, "https://pli.test");
        assert!(link_body.contains("SECRET-TOKEN"));
    }
}
