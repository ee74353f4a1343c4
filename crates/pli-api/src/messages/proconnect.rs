//! ProConnect (the French state's OpenID Connect federation for public agents): what the
//! login page learns, an organisation's rule, and the SIRET numbers that tie an
//! organisation to the agents ProConnect vouches for.
//!
//! ProConnect authenticates a person; it never sees a key. After a ProConnect sign-in the
//! person still unlocks their keys in the browser (password and account key, or a
//! passkey): the relay holds a one-use *ticket* for that browser, and the login that
//! follows consumes it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::vocab::vocabulary;

/// A SIRET: the 14-digit number of a French establishment (its SIREN and a 5-digit
/// establishment number), checked with its Luhn key (La Poste's establishments, SIREN
/// 356 000 000, use the sum of digits modulo 5 instead).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

/// Why a text is not a SIRET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiretError {
    /// Not 14 digits (spaces are allowed between groups and dropped).
    NotFourteenDigits(String),
    /// 14 digits whose check key is wrong: a typo.
    BadCheckKey(String),
}

impl fmt::Display for SiretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFourteenDigits(text) => write!(f, "{text:?} is not a SIRET (14 digits)"),
            Self::BadCheckKey(text) => write!(f, "{text:?} is not a SIRET (wrong check key)"),
        }
    }
}

impl std::error::Error for SiretError {}

impl Siret {
    /// Reads a SIRET, spaces allowed (`130 025 265 00013`).
    pub fn parse(text: &str) -> Result<Self, SiretError> {
        let digits: String = text.chars().filter(|c| *c != ' ').collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SiretError::NotFourteenDigits(text.to_owned()));
        }
        let values = digits.bytes().map(|b| u32::from(b - b'0'));
        let valid = if digits.starts_with("356000000") {
            values.sum::<u32>().is_multiple_of(5)
        } else {
            // Luhn: from the right, every second digit doubled (its digits summed).
            let sum: u32 = values
                .rev()
                .enumerate()
                .map(|(i, d)| match (i % 2 == 1, d * 2) {
                    (false, _) => d,
                    (true, doubled) if doubled > 9 => doubled - 9,
                    (true, doubled) => doubled,
                })
                .sum();
            sum.is_multiple_of(10)
        };
        if !valid {
            return Err(SiretError::BadCheckKey(text.to_owned()));
        }
        Ok(Self(digits))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Siret {
    type Error = SiretError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Siret> for String {
    fn from(siret: Siret) -> Self {
        siret.0
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `PUT /api/orgs/{org}/proconnect`, and what the members page shows: the SIRET numbers
/// whose agents may sign in to the organisation's accounts with ProConnect, and whether
/// its people must (service accounts never do: a program has no ProConnect identity).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProConnectPolicy {
    /// The establishments (none: nobody signs in to this organisation with ProConnect).
    pub sirets: Vec<Siret>,
    /// Every person's login must follow a ProConnect sign-in (needs at least one SIRET).
    pub required: bool,
}

/// `GET /api/proconnect`: whether the relay offers ProConnect, and who this browser just
/// signed in as, if it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProConnectInfo {
    /// The relay is configured with a ProConnect client.
    pub available: bool,
    /// The identity of this browser's ProConnect sign-in waiting for its keys to be
    /// unlocked (the ticket cookie's), if any.
    pub identity: Option<ProConnectIdentity>,
}

/// Who ProConnect vouched for, as the login page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProConnectIdentity {
    /// The Pli account's address (the one to unlock).
    pub email: String,
    /// First names.
    pub given_name: String,
    /// Family name.
    pub usual_name: String,
    /// The establishment ProConnect named.
    pub siret: Siret,
    /// A one-time link waits for this address (an invitation without an account yet, or a
    /// reset): the person opens the link they received, where they choose their password.
    #[serde(default)]
    pub invited: bool,
}

/// `POST /api/auth/logout`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedOut {
    /// The session began with ProConnect: the browser goes here next, to end the
    /// ProConnect session too (its `end_session_endpoint`, which comes back to Pli).
    pub proconnect_logout: Option<String>,
}

/// What ProConnect sends the browser back with (`/api/proconnect/callback`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProConnectReturn {
    /// The authorization code.
    pub code: Option<String>,
    /// The state the relay sent.
    pub state: Option<String>,
    /// The provider's refusal (`access_denied`…).
    pub error: Option<String>,
    /// Its explanation.
    pub error_description: Option<String>,
}

vocabulary! {
    /// Why a ProConnect sign-in did not go through: the relay sends the browser back to
    /// `/#/login?proconnect=<word>`, and the login page says it in French.
    ProConnectFailure ("ProConnect failure") {
        /// The relay has no ProConnect client, or cannot reach ProConnect.
        Unavailable = "unavailable",
        /// Too many sign-ins begun from this network, or under way in all: later.
        Busy = "busy",
        /// The return names no sign-in this relay began, or one already used.
        StateUnknown = "state_unknown",
        /// The sign-in was begun too long ago.
        StateExpired = "state_expired",
        /// The return does not come back to the browser that began the sign-in.
        BrowserMismatch = "browser_mismatch",
        /// ProConnect (or the person there) refused.
        ProviderRefused = "provider_refused",
        /// ProConnect refused the code (already used, or not ours).
        CodeRefused = "code_refused",
        /// The identity token does not verify (signature, issuer, audience, time).
        TokenInvalid = "token_invalid",
        /// The identity token was issued for another sign-in (its nonce).
        NonceMismatch = "nonce_mismatch",
        /// ProConnect authenticated with less than the level asked for.
        AcrInsufficient = "acr_insufficient",
        /// The establishment ProConnect named is not one of the organisation's.
        SiretRefused = "siret_refused",
        /// No Pli account for this person (invitations come from their admin).
        UnknownAccount = "unknown_account",
        /// The Pli account is tied to another ProConnect identity.
        LinkedElsewhere = "linked_elsewhere",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_siret_is_fourteen_digits_with_its_check_key() {
        // DINUM's and the city of Paris's; spaces between groups are dropped.
        let dinum = Siret::parse("130 025 265 00013").unwrap();
        assert_eq!(dinum.as_str(), "13002526500013");
        assert!(Siret::parse("21750001600019").is_ok());
        // A typo in the last digit breaks the Luhn key.
        assert_eq!(
            Siret::parse("13002526500014"),
            Err(SiretError::BadCheckKey("13002526500014".into()))
        );
        assert!(matches!(
            Siret::parse("1300252650001"),
            Err(SiretError::NotFourteenDigits(_))
        ));
        assert!(matches!(
            Siret::parse("1300252650001a"),
            Err(SiretError::NotFourteenDigits(_))
        ));
        // La Poste's establishments: the digits' sum is a multiple of 5.
        assert!(Siret::parse("35600000000006").is_ok());
        assert!(Siret::parse("35600000000007").is_err());
        let json = serde_json::to_string(&dinum).unwrap();
        assert_eq!(json, "\"13002526500013\"");
        assert!(serde_json::from_str::<Siret>("\"13002526500014\"").is_err());
    }
}
