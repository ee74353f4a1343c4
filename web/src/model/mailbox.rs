//! What a mailbox shows of its loaded rows: the filters a person sets in the browser
//! (category, words to find, urgency) and the order they choose. The relay filters by
//! what it knows (unread, urgent); subjects, case references and sender names exist only
//! decrypted, here, so searching them is this module's job.
//!
//! Words are found whatever their case and accents (« evaluation » finds « Évaluation »),
//! in the subject, the case reference, the sender's name and the other organisation's
//! name; every word typed must be found somewhere in the row.

use pli_api::Category;
use pli_client::protocol::{Listed, ListedExchange};

/// How the rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// The relay's order: urgent first, then newest first.
    #[default]
    UrgentFirst,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
    /// By subject, A to Z (rows without a readable subject last).
    Subject,
    /// By case reference (rows without one last).
    CaseReference,
}

impl Sort {
    /// Every order, as the list offers them.
    pub const ALL: [Self; 5] = [
        Self::UrgentFirst,
        Self::Newest,
        Self::Oldest,
        Self::Subject,
        Self::CaseReference,
    ];

    /// Its word in the page's `<select>`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UrgentFirst => "urgent",
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Subject => "subject",
            Self::CaseReference => "case",
        }
    }

    /// The order named `word`, if any.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// What the person asked of the loaded rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    /// Only this category.
    pub category: Option<Category>,
    /// Words to find.
    pub words: String,
    /// The order.
    pub sort: Sort,
}

impl View {
    /// Whether a filter only the browser can apply is set: then every page of the
    /// mailbox must be loaded for the answer to be complete.
    pub fn filters_locally(&self) -> bool {
        self.category.is_some() || !self.words.trim().is_empty()
    }
}

/// The indices of `rows` to show, in order. `other_org` names the row's other
/// organisation (its sender in the inbox, its recipient in the outbox).
pub fn visible(
    rows: &[ListedExchange],
    view: &View,
    other_org: &dyn Fn(&ListedExchange) -> String,
) -> Vec<usize> {
    let words: Vec<String> = fold(&view.words)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut shown: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| {
            let preview = match &row.preview {
                Listed::Read(preview) => Some(preview),
                _ => None,
            };
            if let Some(category) = view.category
                && preview.is_none_or(|p| p.category != category)
            {
                return false;
            }
            if words.is_empty() {
                return true;
            }
            let mut haystack = fold(&other_org(row));
            match &row.preview {
                Listed::Read(p) => {
                    for field in [&p.subject, &p.case_reference, &p.sender_name] {
                        haystack.push('\n');
                        haystack.push_str(&fold(field));
                    }
                }
                Listed::Sealed { sender_name, .. } => {
                    haystack.push('\n');
                    haystack.push_str(&fold(sender_name));
                }
                Listed::Pending | Listed::Unverified => {}
            }
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .map(|(i, _)| i)
        .collect();
    let date = |i: &usize| rows.get(*i).map_or(0, received_at);
    let text = |i: &usize, f: fn(&pli_client::protocol::ListedPreview) -> &str| {
        rows.get(*i)
            .and_then(|r| match &r.preview {
                Listed::Read(p) => Some(fold(f(p))),
                _ => None,
            })
            .filter(|t| !t.is_empty())
    };
    match view.sort {
        Sort::UrgentFirst => {}
        Sort::Newest => shown.sort_by_key(|i| std::cmp::Reverse(date(i))),
        Sort::Oldest => shown.sort_by_key(date),
        Sort::Subject => shown.sort_by_cached_key(|i| last_if_none(text(i, |p| &p.subject))),
        Sort::CaseReference => {
            shown.sort_by_cached_key(|i| last_if_none(text(i, |p| &p.case_reference)));
        }
    }
    shown
}

/// When a row arrived (or was sent, if it is not delivered yet).
pub fn received_at(row: &ListedExchange) -> u64 {
    row.summary.delivered_at.unwrap_or(row.summary.created_at)
}

/// Sorts `None` after every `Some`.
fn last_if_none(text: Option<String>) -> (bool, String) {
    match text {
        Some(text) => (false, text),
        None => (true, String::new()),
    }
}

/// `text` in lower case without the accents of French (and the ligatures spelled out),
/// for finding words as people type them.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' | 'ý' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '\u{2019}' | '\u{2018}' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use pli_api::messages::ExchangeSummary;
    use pli_api::{ExchangeId, ExchangeState, OrgId, UserId};
    use pli_client::protocol::ListedPreview;

    use super::*;

    fn row(n: u8, urgent: bool, at: u64, preview: Listed) -> ListedExchange {
        ListedExchange {
            summary: ExchangeSummary {
                exchange_id: ExchangeId::from_bytes([n; 16]),
                sender_org_id: OrgId::from_bytes([1; 16]),
                sender_user_id: UserId::from_bytes([2; 16]),
                recipient_org_id: OrgId::from_bytes([3; 16]),
                state: ExchangeState::Delivered,
                urgent,
                file_count: 1,
                total_size: 500,
                created_at: at,
                delivered_at: Some(at + 1),
                expires_at: at + 1000,
                first_read_at: None,
                in_reply_to: None,
                envelope: None,
            },
            preview,
        }
    }

    fn read(category: Category, subject: &str, case: &str, sender: &str) -> Listed {
        Listed::Read(ListedPreview {
            sender_name: sender.into(),
            sender_service: false,
            category,
            subject: subject.into(),
            case_reference: case.into(),
            size: 410,
        })
    }

    fn rows() -> Vec<ListedExchange> {
        vec![
            row(
                0,
                true,
                300,
                read(
                    Category::Signalement,
                    "Signalement fratrie D.",
                    "2026/00042",
                    "Claire Durand",
                ),
            ),
            row(
                1,
                false,
                500,
                read(
                    Category::DemandeEvaluation,
                    "Demande d’évaluation — Lucas",
                    "",
                    "Paul Martin",
                ),
            ),
            row(
                2,
                false,
                100,
                read(
                    Category::Rapport,
                    "Rapport d'échéance",
                    "2025/00917",
                    "Claire Durand",
                ),
            ),
            row(3, false, 400, Listed::Unverified),
            row(
                4,
                false,
                200,
                Listed::Sealed {
                    sender_name: "Ancien Envoi".into(),
                    sender_service: false,
                },
            ),
        ]
    }

    fn shown(view: View) -> Vec<usize> {
        visible(&rows(), &view, &|_| {
            "Conseil départemental de Seine-et-Marne".into()
        })
    }

    #[test]
    fn words_are_found_whatever_their_case_and_accents_in_every_field() {
        let find = |words: &str| {
            shown(View {
                words: words.into(),
                ..View::default()
            })
        };
        assert_eq!(find(""), [0, 1, 2, 3, 4]);
        assert_eq!(find("EVALUATION"), [1]);
        assert_eq!(
            find("d'evaluation"),
            [1],
            "typographic and straight apostrophes"
        );
        assert_eq!(find("échéance"), [2]);
        assert_eq!(find("2026/000"), [0]);
        assert_eq!(find("durand"), [0, 2]);
        assert_eq!(find("durand rapport"), [2], "every word must be found");
        assert_eq!(find("ancien"), [4], "a sealed row is found by its sender");
        assert_eq!(find("seine-et-marne").len(), 5, "the organisation's name");
        assert_eq!(find("introuvable"), Vec::<usize>::new());
    }

    #[test]
    fn a_category_keeps_only_rows_whose_preview_says_it() {
        let only = |category| {
            shown(View {
                category: Some(category),
                ..View::default()
            })
        };
        assert_eq!(only(Category::Rapport), [2]);
        assert_eq!(only(Category::Decision), Vec::<usize>::new());
        assert!(
            View {
                category: Some(Category::Autre),
                ..View::default()
            }
            .filters_locally()
        );
        assert!(
            !View {
                words: "  ".into(),
                ..View::default()
            }
            .filters_locally()
        );
    }

    #[test]
    fn orders_by_date_subject_or_case_reference() {
        let by = |sort| {
            shown(View {
                sort,
                ..View::default()
            })
        };
        assert_eq!(
            by(Sort::UrgentFirst),
            [0, 1, 2, 3, 4],
            "as the relay sent them"
        );
        assert_eq!(by(Sort::Newest), [1, 3, 0, 4, 2]);
        assert_eq!(by(Sort::Oldest), [2, 4, 0, 3, 1]);
        assert_eq!(
            by(Sort::Subject),
            [1, 2, 0, 3, 4],
            "unreadable subjects last"
        );
        assert_eq!(
            by(Sort::CaseReference),
            [2, 0, 1, 3, 4],
            "empty references last"
        );
        for sort in Sort::ALL {
            assert_eq!(Sort::parse(sort.as_str()), Some(sort));
        }
        assert_eq!(Sort::parse("random"), None);
    }

    #[test]
    fn folding_lowers_and_strips_french_accents() {
        assert_eq!(fold("Œuvre À Noël, ÇA"), "oeuvre a noel, ca");
        assert_eq!(fold("Demande d’évaluation"), "demande d'evaluation");
    }
}
