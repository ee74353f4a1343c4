//! A [`Verdict`] as the estimator module hands it to the page: a few bytes, written and
//! read by this one module on both sides (so neither WebAssembly module carries a
//! serialisation framework for it).
//!
//! * `[0]`: the password will do;
//! * `[1, missing]`: [`WeakPassword::TooShort`];
//! * `[2, score, warning, suggestion…]`: [`WeakPassword::Guessable`], `warning` being 0
//!   for none or 1 + the [`Warning`]'s discriminant, each suggestion its
//!   [`Suggestion`]'s.

use crate::{Suggestion, Verdict, Warning, WeakPassword};

const GOOD: u8 = 0;
const TOO_SHORT: u8 = 1;
const GUESSABLE: u8 = 2;

/// The verdict's bytes.
pub fn encode(verdict: &Verdict) -> Vec<u8> {
    match verdict {
        Ok(()) => vec![GOOD],
        Err(WeakPassword::TooShort { missing }) => {
            vec![TOO_SHORT, u8::try_from(*missing).unwrap_or(u8::MAX)]
        }
        Err(WeakPassword::Guessable {
            score,
            warning,
            suggestions,
        }) => {
            let warning = warning.map_or(0, |warning| warning as u8 + 1);
            let mut bytes = vec![GUESSABLE, *score, warning];
            bytes.extend(suggestions.iter().map(|suggestion| *suggestion as u8));
            bytes
        }
    }
}

/// The verdict `bytes` hold, or `None` if they are not one [`encode`] writes.
pub fn decode(bytes: &[u8]) -> Option<Verdict> {
    match bytes {
        [GOOD] => Some(Ok(())),
        [TOO_SHORT, missing] => Some(Err(WeakPassword::TooShort {
            missing: usize::from(*missing),
        })),
        [GUESSABLE, score, warning, suggestions @ ..] => {
            let warning = match warning.checked_sub(1) {
                None => None,
                Some(code) => Some(*Warning::ALL.get(usize::from(code))?),
            };
            let suggestions = suggestions
                .iter()
                .map(|code| Suggestion::ALL.get(usize::from(*code)).copied())
                .collect::<Option<Vec<_>>>()?;
            Some(Err(WeakPassword::Guessable {
                score: *score,
                warning,
                suggestions,
            }))
        }
        _ => None,
    }
}
