//! The send form's checks, before anything goes to the worker: what to fix, in the
//! order of the form, with the manifest's limits counted in bytes as `pli-crypto` counts
//! them.

use pli_api::{Category, ExchangeId, OrgId};

use crate::protocol::{Recipient, SendExchange};

/// Why the form cannot be sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// No file picked.
    Files,
    /// More files than an exchange holds.
    TooMany,
    /// A file name longer than the manifest allows (the name).
    NameLong(String),
    /// No recipient, or one whose key the worker could not verify.
    Recipient,
    /// No category chosen.
    Category,
    /// No subject.
    Subject,
    /// A subject longer than allowed.
    SubjectLong,
    /// A case reference longer than allowed.
    CaseLong,
    /// A message longer than allowed.
    MessageLong,
}

impl Check {
    /// The id of the control where it is fixed.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Files | Self::TooMany | Self::NameLong(_) => "files",
            Self::Recipient => "recipient",
            Self::Category => "category",
            Self::Subject | Self::SubjectLong => "subject",
            Self::CaseLong => "case-reference",
            Self::MessageLong => "message",
        }
    }
}

/// What the form holds when it is sent.
#[derive(Debug)]
pub struct Draft<'a> {
    /// The names of the files picked.
    pub files: &'a [&'a str],
    /// The recipient chosen.
    pub recipient: Option<OrgId>,
    /// The form's `directory`.
    pub directory: &'a [Recipient],
    /// The category chosen.
    pub category: Option<Category>,
    /// The form's `subject`.
    pub subject: &'a str,
    /// The form's `case_reference`.
    pub case_reference: &'a str,
    /// The form's `message`.
    pub message: &'a str,
    /// The urgency box.
    pub urgent: bool,
    /// The exchange answered, if any.
    pub in_reply_to: Option<ExchangeId>,
}

impl Draft<'_> {
    /// Everything to fix before sending, in the order of the form. The manifest's limits
    /// are in bytes, as `pli-crypto` counts them.
    pub fn checks(&self) -> Vec<Check> {
        use pli_crypto::manifest::{
            MAX_CASE_REFERENCE_LEN, MAX_FILE_NAME_LEN, MAX_MESSAGE_LEN, MAX_SUBJECT_LEN,
        };
        let mut checks = Vec::new();
        if self.files.is_empty() {
            checks.push(Check::Files);
        }
        if self.files.len() > pli_crypto::envelope::MAX_FILES {
            checks.push(Check::TooMany);
        }
        if let Some(long) = self
            .files
            .iter()
            .find(|name| name.len() > MAX_FILE_NAME_LEN)
        {
            checks.push(Check::NameLong((*long).to_owned()));
        }
        if !self
            .directory
            .iter()
            .any(|r| Some(r.org_id) == self.recipient && usable(r))
        {
            checks.push(Check::Recipient);
        }
        if self.category.is_none() {
            checks.push(Check::Category);
        }
        if self.subject.trim().is_empty() {
            checks.push(Check::Subject);
        } else if self.subject.trim().len() > MAX_SUBJECT_LEN {
            checks.push(Check::SubjectLong);
        }
        if self.case_reference.trim().len() > MAX_CASE_REFERENCE_LEN {
            checks.push(Check::CaseLong);
        }
        if self.message.len() > MAX_MESSAGE_LEN {
            checks.push(Check::MessageLong);
        }
        checks
    }

    /// What the worker is asked to send, or everything to fix first.
    pub fn validate(&self) -> Result<SendExchange, Vec<Check>> {
        let checks = self.checks();
        match (self.recipient, self.category) {
            (Some(recipient), Some(category)) if checks.is_empty() => Ok(SendExchange {
                recipient,
                category,
                subject: self.subject.trim().to_owned(),
                message: self.message.to_owned(),
                case_reference: self.case_reference.trim().to_owned(),
                urgent: self.urgent,
                in_reply_to: self.in_reply_to,
            }),
            _ => Err(checks),
        }
    }
}

/// Whether the worker verified this recipient's key.
pub fn usable(recipient: &Recipient) -> bool {
    recipient.problem.is_none() && recipient.fingerprint.is_some()
}

#[cfg(test)]
mod tests {
    use pli_api::{Category, ErrorCode, OrgId, OrgKind};

    use super::{Check, Draft};
    use crate::protocol::Recipient;

    fn recipient(org: OrgId, verified: bool) -> Recipient {
        Recipient {
            org_id: org,
            name: "Tribunal judiciaire de Meaux".into(),
            kind: OrgKind::Court,
            generation: verified.then_some(1),
            fingerprint: verified.then(|| "ab12".into()),
            problem: (!verified).then_some(ErrorCode::Verification),
        }
    }

    #[test]
    fn a_complete_form_passes_and_an_empty_one_lists_every_fix_in_form_order() {
        let org = OrgId::from_random([1; 16]);
        let directory = [recipient(org, true)];
        let complete = Draft {
            files: &["rapport.pdf"],
            recipient: Some(org),
            directory: &directory,
            category: Some(Category::Signalement),
            subject: " Situation de l'enfant ",
            case_reference: " 2026/117 ",
            message: "",
            urgent: true,
            in_reply_to: None,
        };
        assert_eq!(complete.checks(), Vec::<Check>::new());
        let request = complete.validate().unwrap();
        assert_eq!(request.recipient, org);
        assert_eq!(request.subject, "Situation de l'enfant", "trimmed");
        assert_eq!(request.case_reference, "2026/117");
        assert!(request.urgent);
        let empty = Draft {
            files: &[],
            recipient: None,
            directory: &directory,
            category: None,
            subject: "  ",
            case_reference: "",
            message: "",
            urgent: false,
            in_reply_to: None,
        };
        assert_eq!(
            empty.checks(),
            vec![
                Check::Files,
                Check::Recipient,
                Check::Category,
                Check::Subject
            ]
        );
        assert_eq!(empty.checks()[0].field(), "files");
        assert_eq!(empty.validate().unwrap_err(), empty.checks());
    }

    #[test]
    fn an_unverified_recipient_and_limits_counted_in_bytes_are_refused() {
        let org = OrgId::from_random([2; 16]);
        let directory = [recipient(org, false)];
        // 128 two-byte characters: within 200 characters, over the 255-byte limit.
        let long_name = format!("{}.pdf", "é".repeat(128));
        let long_subject = "é".repeat(pli_crypto::manifest::MAX_SUBJECT_LEN);
        let draft = Draft {
            files: &[long_name.as_str()],
            recipient: Some(org),
            directory: &directory,
            category: Some(Category::Autre),
            subject: &long_subject,
            case_reference: "",
            message: "",
            urgent: false,
            in_reply_to: None,
        };
        assert_eq!(
            draft.checks(),
            vec![
                Check::NameLong(long_name.clone()),
                Check::Recipient,
                Check::SubjectLong
            ]
        );
    }
}
