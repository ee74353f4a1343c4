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
    /// Empty files (their names), sent only once the person confirmed it.
    Empty(Vec<String>),
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
            Self::Empty(_) => EMPTY_CONFIRM,
            Self::Recipient => "recipient",
            Self::Category => "category",
            Self::Subject | Self::SubjectLong => "subject",
            Self::CaseLong => "case-reference",
            Self::MessageLong => "message",
        }
    }
}

/// The id of the box that confirms sending empty files.
pub const EMPTY_CONFIRM: &str = "confirm-empty";

/// A file picked, as the checks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftFile<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its size in bytes.
    pub size: u64,
}

/// The names of the empty (0-byte) files among `files`, in order.
pub fn empty_files(files: &[DraftFile<'_>]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.size == 0)
        .map(|f| f.name.to_owned())
        .collect()
}

/// What the form holds when it is sent.
#[derive(Debug)]
pub struct Draft<'a> {
    /// The files picked.
    pub files: &'a [DraftFile<'a>],
    /// The person confirmed that the empty files among them are to be sent as they are.
    pub empty_confirmed: bool,
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
            .find(|file| file.name.len() > MAX_FILE_NAME_LEN)
        {
            checks.push(Check::NameLong(long.name.to_owned()));
        }
        let empty = empty_files(self.files);
        if !empty.is_empty() && !self.empty_confirmed {
            checks.push(Check::Empty(empty));
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

    use super::{Check, Draft, DraftFile, empty_files};
    use crate::protocol::Recipient;

    fn recipient(org: OrgId, verified: bool) -> Recipient {
        Recipient {
            org_id: org,
            name: "Tribunal judiciaire de Meaux".into(),
            kind: OrgKind::Court,
            generation: verified.then_some(1),
            fingerprint: verified.then(|| "ab12".into()),
            problem: (!verified).then_some(ErrorCode::Verification),
            refused_in_log: 0,
        }
    }

    fn file(name: &str, size: u64) -> DraftFile<'_> {
        DraftFile { name, size }
    }

    #[test]
    fn a_complete_form_passes_and_an_empty_one_lists_every_fix_in_form_order() {
        let org = OrgId::from_random([1; 16]);
        let directory = [recipient(org, true)];
        let complete = Draft {
            files: &[file("rapport.pdf", 12)],
            empty_confirmed: false,
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
            empty_confirmed: false,
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
            files: &[file(&long_name, 1)],
            empty_confirmed: false,
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

    #[test]
    fn empty_files_are_sent_only_once_the_person_confirmed_it() {
        let org = OrgId::from_random([3; 16]);
        let directory = [recipient(org, true)];
        let files = [
            file("vide.pdf", 0),
            file("rapport.pdf", 10),
            file("aussi vide.txt", 0),
        ];
        assert_eq!(empty_files(&files), ["vide.pdf", "aussi vide.txt"]);
        let mut draft = Draft {
            files: &files,
            empty_confirmed: false,
            recipient: Some(org),
            directory: &directory,
            category: Some(Category::Rapport),
            subject: "Rapport",
            case_reference: "",
            message: "",
            urgent: false,
            in_reply_to: None,
        };
        let refused = vec![Check::Empty(vec![
            "vide.pdf".into(),
            "aussi vide.txt".into(),
        ])];
        assert_eq!(draft.checks(), refused);
        assert_eq!(refused[0].field(), "confirm-empty");
        assert_eq!(draft.validate().unwrap_err(), refused);
        draft.empty_confirmed = true;
        assert!(draft.validate().is_ok());
        // Listed after the files' other problems, before the recipient's.
        let no_one = Draft {
            recipient: None,
            empty_confirmed: false,
            ..draft
        };
        assert_eq!(no_one.checks()[0], refused[0]);
        assert_eq!(no_one.checks()[1], Check::Recipient);
        // No empty file: nothing to confirm.
        let full = [file("rapport.pdf", 10)];
        let draft = Draft {
            files: &full,
            empty_confirmed: false,
            ..no_one
        };
        assert_eq!(draft.checks(), vec![Check::Recipient]);
    }
}
