//! Randomness, only from the operating system (`getrandom`; `crypto.getRandomValues` in
//! the browser).

use crate::Error;

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| Error::Random)?;
    Ok(out)
}
