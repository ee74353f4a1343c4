//! The closed vocabularies of the API: roles, account and exchange states, organisation and
//! invitation kinds. Each is an enum that travels (in JSON, and in the relay's database
//! columns) as a fixed lowercase word; comparing with a string anywhere else is a bug the
//! compiler can no longer let through.

use std::fmt;

/// A word that is not one of a vocabulary's (names the vocabulary and the word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// Which vocabulary (`"role"`, `"exchange state"`…).
    pub vocabulary: &'static str,
    /// The word found.
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.vocabulary, self.word)
    }
}

impl std::error::Error for UnknownWord {}

/// Defines a vocabulary: an enum whose variants each have one wire word, with `ALL`,
/// `as_str`, `FromStr`, `Display` and serde as that word.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every word of the vocabulary, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownWord;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($word => Ok(Self::$variant),)+
                    _ => Err($crate::vocab::UnknownWord {
                        vocabulary: $what,
                        word: text.to_owned(),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// A person's role on the relay (authorisation), mirrored in their certificate.
    Role ("role") {
        /// Sends, receives and reads for their organisation.
        Member = "member",
        /// Also manages the members and keys of their organisation.
        OrgAdmin = "org_admin",
        /// Creates organisations and their first admins; reads no file.
        PlatformAdmin = "platform_admin",
    }
}

vocabulary! {
    /// Whether an organisation's members must use two-factor authentication (its admins
    /// always must).
    SecondFactor ("second-factor policy") {
        /// Every member enrols a second factor before sending or reading (the default).
        Required = "required",
        /// Members choose.
        Optional = "optional",
    }
}

vocabulary! {
    /// Where an account stands.
    AccountStatus ("account status") {
        /// Keys made, not yet certified by an admin: can log in, cannot send or read.
        Pending = "pending",
        /// Certified.
        Active = "active",
        /// Removed from the organisation: cannot log in.
        Removed = "removed",
    }
}

vocabulary! {
    /// What an organisation is.
    OrgKind ("organisation kind") {
        /// A court service (parquet, juges des enfants, greffe).
        Court = "court",
        /// A Département's child-welfare service (ASE).
        Departement = "departement",
        /// The platform operator's own organisation (its administrators).
        Platform = "platform",
    }
}

vocabulary! {
    /// Where an exchange stands.
    ExchangeState ("exchange state") {
        /// Parts are being uploaded; invisible to the recipient.
        Uploading = "uploading",
        /// Complete and verified; visible to the recipient.
        Delivered = "delivered",
        /// Past its expiry: ciphertext purged, envelope kept.
        Expired = "expired",
        /// Never completed: purged.
        Abandoned = "abandoned",
    }
}

vocabulary! {
    /// What a one-time link is for.
    InvitationKind ("invitation kind") {
        /// The platform admin's one-time set-up link.
        Setup = "setup",
        /// Joining an organisation.
        Join = "join",
        /// A new account set-up for a member who lost their password.
        Reset = "reset",
    }
}

vocabulary! {
    /// What kind of document an exchange carries (in its encrypted manifest; the relay
    /// never sees it). Declaration order is display order, and a sealed send plan stores a
    /// category as its index here: append, never reorder.
    Category ("category") {
        /// An urgent report to the prosecutor about a child in danger.
        Signalement = "signalement",
        /// A periodic report on a child.
        Rapport = "rapport",
        /// A court decision.
        Decision = "decision",
        /// A request for an evaluation.
        DemandeEvaluation = "demande_evaluation",
        /// Anything else.
        Autre = "autre",
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn every_word_round_trips_through_json_and_text() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr + serde::Serialize,
            T: for<'de> serde::Deserialize<'de>,
        {
            for value in all {
                let json = serde_json::to_string(value).unwrap();
                assert_eq!(json, format!("\"{value}\""));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
                assert!(value.to_string().parse::<T>().is_ok_and(|v| v == *value));
            }
        }
        check(Role::ALL);
        check(AccountStatus::ALL);
        check(OrgKind::ALL);
        check(ExchangeState::ALL);
        check(InvitationKind::ALL);
        check(Category::ALL);
    }

    #[test]
    fn an_unknown_word_is_refused_with_its_vocabulary_named() {
        let error = "admin".parse::<Role>().unwrap_err();
        assert_eq!(error.to_string(), "unknown role \"admin\"");
        let error = serde_json::from_str::<ExchangeState>("\"sent\"").unwrap_err();
        assert!(
            error.to_string().contains("unknown exchange state"),
            "{error}"
        );
    }
}
