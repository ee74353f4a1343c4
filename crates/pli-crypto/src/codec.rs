//! The canonical encoding of Pli's objects (certificates, envelopes, receipts, manifests,
//! key bundles, key grants).
//!
//! An encoding is the object's *domain* — an ASCII prefix that names the object type and
//! the format version, such as `pli/v1/envelope`, followed by a NUL byte — then its fields
//! in a fixed order:
//!
//! | field | encoding |
//! |---|---|
//! | integers | big-endian, fixed width (`u8`, `u16`, `u32`, `u64`) |
//! | booleans, enums | one byte; only the defined values are accepted |
//! | identifiers, hashes, keys | their raw bytes, fixed width |
//! | strings | `u32` byte length, then UTF-8 |
//! | byte strings | `u32` length, then the bytes |
//! | optional values | `0x00`, or `0x01` then the value |
//! | lists | `u32` count, then the items |
//!
//! The encoding is deterministic (one value, one encoding), so a signature covers exactly
//! one meaning. Decoding rejects an unknown domain or version, out-of-range values, and
//! trailing data; each field has a maximum length, checked on both sides.

use pli_api::Id;

use crate::Error;

/// What kind of object an encoding holds, and in which format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Domain {
    /// An exchange envelope, signed by the sender.
    Envelope,
    /// A read receipt, signed by the reader.
    Receipt,
    /// An organisation's certificate (name, kind), signed by the platform authority.
    OrgCertificate,
    /// One generation of an organisation's key, signed by one of its admins.
    OrgKey,
    /// A user's public keys, signed by an admin or the platform authority.
    UserCertificate,
    /// The encrypted description of an exchange.
    Manifest,
    /// The encrypted preview of an exchange shown in lists, sealed inside its envelope.
    Preview,
    /// A user's private keys, sealed with their bundle key.
    KeyBundle,
    /// An organisation's private key wrapped for one member.
    KeyGrant,
    /// A person's certificate revoked, or an organisation key suspended, signed by an
    /// admin of the organisation or the platform authority.
    Revocation,
    /// The key directory log's policy (its key, its witnesses), signed by the platform
    /// authority.
    LogPolicy,
    /// The last checkpoint of the key directory's log a person verified, signed by them
    /// (kept by the relay, so that it cannot show them an older log unnoticed).
    SeenCheckpoint,
    /// What a passkey unlocks on a device (a person's key bundle and account key),
    /// sealed under a key derived from the passkey's PRF output.
    PasskeyUnlock,
    /// [`OrgKey`](Self::OrgKey) whose key is post-quantum (MLKEM768-X25519).
    OrgKeyHybrid,
    /// [`UserCertificate`](Self::UserCertificate) whose encryption key is post-quantum.
    UserCertificateHybrid,
    /// [`KeyGrant`](Self::KeyGrant) of a post-quantum organisation key.
    KeyGrantHybrid,
    /// [`KeyBundle`](Self::KeyBundle) whose encryption identity is post-quantum.
    KeyBundleHybrid,
    /// A person's request to move to a post-quantum encryption key, signed by their
    /// certified signing key.
    KeyUpgrade,
    /// The encryption identities a person made after their key bundle was sealed,
    /// sealed under a key only their bundle gives.
    LaterIdentities,
    /// [`Envelope`](Self::Envelope) whose objects are bound by the SHA-256 of their parts
    /// (a [`PartList`](Self::PartList) each) rather than of their whole ciphertext.
    EnvelopeParts,
    /// The SHA-256 of each part of one ciphertext object, in order: what an envelope of
    /// format 2 binds, through the list's own SHA-256.
    PartList,
}

impl Domain {
    /// The prefix, NUL terminator included.
    pub const fn prefix(self) -> &'static [u8] {
        match self {
            Self::Envelope => b"pli/v1/envelope\0",
            Self::Receipt => b"pli/v1/receipt\0",
            Self::OrgCertificate => b"pli/v1/org\0",
            Self::OrgKey => b"pli/v1/org-key\0",
            Self::UserCertificate => b"pli/v1/user\0",
            Self::Manifest => b"pli/v1/manifest\0",
            Self::Preview => b"pli/v1/preview\0",
            Self::KeyBundle => b"pli/v1/key-bundle\0",
            Self::KeyGrant => b"pli/v1/key-grant\0",
            Self::Revocation => b"pli/v1/revocation\0",
            Self::LogPolicy => b"pli/v1/log-policy\0",
            Self::SeenCheckpoint => b"pli/v1/seen-checkpoint\0",
            Self::PasskeyUnlock => b"pli/v1/passkey-unlock\0",
            Self::OrgKeyHybrid => b"pli/v2/org-key\0",
            Self::UserCertificateHybrid => b"pli/v2/user\0",
            Self::KeyGrantHybrid => b"pli/v2/key-grant\0",
            Self::KeyBundleHybrid => b"pli/v2/key-bundle\0",
            Self::KeyUpgrade => b"pli/v2/key-upgrade\0",
            Self::LaterIdentities => b"pli/v2/later-identities\0",
            Self::EnvelopeParts => b"pli/v2/envelope\0",
            Self::PartList => b"pli/v2/part-list\0",
        }
    }

    /// A short name for error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::Receipt => "receipt",
            Self::OrgCertificate => "organisation certificate",
            Self::OrgKey => "organisation key certificate",
            Self::UserCertificate => "user certificate",
            Self::Manifest => "manifest",
            Self::Preview => "preview",
            Self::KeyBundle => "key bundle",
            Self::KeyGrant => "key grant",
            Self::Revocation => "revocation",
            Self::LogPolicy => "log policy",
            Self::SeenCheckpoint => "seen checkpoint",
            Self::PasskeyUnlock => "passkey unlock",
            Self::OrgKeyHybrid => "organisation key certificate (post-quantum)",
            Self::UserCertificateHybrid => "user certificate (post-quantum)",
            Self::KeyGrantHybrid => "key grant (post-quantum)",
            Self::KeyBundleHybrid => "key bundle (post-quantum)",
            Self::KeyUpgrade => "key upgrade",
            Self::LaterIdentities => "later identities",
            Self::EnvelopeParts => "envelope (part hashes)",
            Self::PartList => "part list",
        }
    }
}

/// An object with a canonical encoding.
///
/// A type may have a second domain, [`LATER`](Self::LATER): the format version written for
/// the values the first cannot hold (a post-quantum key where version 1 has room for an
/// X25519 one). Each value still has exactly one encoding: [`domain`](Self::domain) says
/// which, and decoding under the other domain refuses it.
pub trait Canonical: Sized {
    /// The domain (type and version) of the encoding.
    const DOMAIN: Domain;

    /// The type's later format version, if it has one.
    const LATER: Option<Domain> = None;

    /// The domain this value is written under.
    fn domain(&self) -> Domain {
        Self::DOMAIN
    }

    /// Whether `bytes` start with one of this type's domains.
    fn is_encoded_in(bytes: &[u8]) -> bool {
        bytes.starts_with(Self::DOMAIN.prefix())
            || Self::LATER.is_some_and(|later| bytes.starts_with(later.prefix()))
    }

    /// Writes the fields, in order.
    fn encode_fields(&self, encoder: &mut Encoder);

    /// Reads the fields, in order, validating each.
    fn decode_fields(decoder: &mut Decoder<'_>) -> Result<Self, Error>;

    /// The complete encoding: domain prefix, then fields.
    fn to_canonical(&self) -> Result<Vec<u8>, Error> {
        let mut encoder = Encoder::new(self.domain());
        self.encode_fields(&mut encoder);
        encoder.finish()
    }

    /// Decodes a complete encoding; anything after the last field is an error, and so is
    /// a value written under a domain that is not its own.
    fn from_canonical(bytes: &[u8]) -> Result<Self, Error> {
        let domain = match Self::LATER {
            Some(later) if bytes.starts_with(later.prefix()) => later,
            _ => Self::DOMAIN,
        };
        let mut decoder = Decoder::new(domain, bytes)?;
        let value = Self::decode_fields(&mut decoder)?;
        decoder.finish()?;
        if value.domain() != domain {
            return Err(decoder_error(
                domain,
                "written under another format version",
            ));
        }
        Ok(value)
    }
}

/// Writes fields; a field over its maximum length makes [`finish`](Self::finish) fail.
#[derive(Debug)]
pub struct Encoder {
    domain: Domain,
    out: Vec<u8>,
    error: Option<&'static str>,
}

impl Encoder {
    fn new(domain: Domain) -> Self {
        Self {
            domain,
            out: domain.prefix().to_vec(),
            error: None,
        }
    }

    fn finish(self) -> Result<Vec<u8>, Error> {
        match self.error {
            Some(problem) => Err(Error::Encoding {
                what: self.domain.name(),
                problem,
            }),
            None => Ok(self.out),
        }
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) {
        self.out.push(value);
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self, value: u32) {
        self.out.extend_from_slice(&value.to_be_bytes());
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self, value: u64) {
        self.out.extend_from_slice(&value.to_be_bytes());
    }

    /// Raw fixed-width bytes (keys, hashes).
    pub fn fixed(&mut self, value: &[u8]) {
        self.out.extend_from_slice(value);
    }

    /// An identifier's 16 bytes.
    pub fn id<K>(&mut self, id: &Id<K>) {
        self.fixed(id.as_bytes());
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, value: &[u8], max: usize, field: &'static str) {
        self.length(value.len(), max, field);
        self.out.extend_from_slice(value);
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub fn str(&mut self, value: &str, max: usize, field: &'static str) {
        self.bytes(value.as_bytes(), max, field);
    }

    /// A list count of at most `max` items; the caller then writes the items.
    pub fn count(&mut self, len: usize, max: usize, field: &'static str) {
        self.length(len, max, field);
    }

    /// Makes [`finish`](Self::finish) fail with `problem` unless `ok` (a bound on a
    /// value that is not a length).
    pub fn check(&mut self, ok: bool, problem: &'static str) {
        if !ok {
            self.error.get_or_insert(problem);
        }
    }

    /// An optional value's presence byte; the caller then writes the value if present.
    pub fn present(&mut self, present: bool) {
        self.u8(u8::from(present));
    }

    fn length(&mut self, len: usize, max: usize, field: &'static str) {
        match u32::try_from(len) {
            Ok(len32) if len <= max => self.u32(len32),
            _ => {
                self.error.get_or_insert(field);
                self.u32(0);
            }
        }
    }
}

/// Reads fields from an encoding whose domain prefix has been checked.
#[derive(Debug)]
pub struct Decoder<'a> {
    domain: Domain,
    rest: &'a [u8],
}

fn decoder_error(domain: Domain, problem: &'static str) -> Error {
    Error::Encoding {
        what: domain.name(),
        problem,
    }
}

impl<'a> Decoder<'a> {
    /// The domain being decoded (a type with two format versions reads its fields by it).
    pub fn domain(&self) -> Domain {
        self.domain
    }

    fn new(domain: Domain, bytes: &'a [u8]) -> Result<Self, Error> {
        let what = domain.name();
        let rest = bytes.strip_prefix(domain.prefix()).ok_or(Error::Encoding {
            what,
            problem: "unknown object type or format version",
        })?;
        Ok(Self { domain, rest })
    }

    fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error("trailing data"))
        }
    }

    /// An error about this object.
    pub fn error(&self, problem: &'static str) -> Error {
        Error::Encoding {
            what: self.domain.name(),
            problem,
        }
    }

    /// `N` raw bytes.
    pub fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let (value, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(self.error("truncated"))?;
        self.rest = rest;
        Ok(*value)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        self.fixed::<1>().map(|[b]| b)
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, Error> {
        self.fixed::<4>().map(u32::from_be_bytes)
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, Error> {
        self.fixed::<8>().map(u64::from_be_bytes)
    }

    /// An identifier.
    pub fn id<K>(&mut self) -> Result<Id<K>, Error> {
        self.fixed::<16>().map(Id::from_bytes)
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: usize, field: &'static str) -> Result<&'a [u8], Error> {
        let len = self.length(max, field)?;
        let (value, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(self.error("truncated"))?;
        self.rest = rest;
        Ok(value)
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub fn str(&mut self, max: usize, field: &'static str) -> Result<String, Error> {
        let bytes = self.bytes(max, field)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.error("a string is not UTF-8"))
    }

    /// A list count of at most `max` items.
    pub fn count(&mut self, max: usize, field: &'static str) -> Result<usize, Error> {
        self.length(max, field)
    }

    /// Whether every byte was read (for a field an older version did not write).
    pub fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    /// An optional value's presence byte (`0` or `1`).
    pub fn present(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.error("an optional field's marker is neither 0 nor 1")),
        }
    }

    fn length(&mut self, max: usize, field: &'static str) -> Result<usize, Error> {
        let len = usize::try_from(self.u32()?).map_err(|_| self.error(field))?;
        if len > max {
            return Err(Error::OutOfRange(field));
        }
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Sample {
        id: pli_api::OrgId,
        name: String,
        tags: Vec<u32>,
        extra: Option<u64>,
    }

    impl Canonical for Sample {
        const DOMAIN: Domain = Domain::Manifest;

        fn encode_fields(&self, e: &mut Encoder) {
            e.id(&self.id);
            e.str(&self.name, 8, "name");
            e.count(self.tags.len(), 3, "tags");
            self.tags.iter().for_each(|t| e.u32(*t));
            e.present(self.extra.is_some());
            if let Some(extra) = self.extra {
                e.u64(extra);
            }
        }

        fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
            let id = d.id()?;
            let name = d.str(8, "name")?;
            let tags = (0..d.count(3, "tags")?)
                .map(|_| d.u32())
                .collect::<Result<_, _>>()?;
            let extra = if d.present()? { Some(d.u64()?) } else { None };
            Ok(Self {
                id,
                name,
                tags,
                extra,
            })
        }
    }

    fn sample() -> Sample {
        Sample {
            id: pli_api::OrgId::from_bytes([1; 16]),
            name: "Meaux".into(),
            tags: vec![1, 2],
            extra: Some(7),
        }
    }

    #[test]
    fn layout_is_the_documented_one() {
        let bytes = sample().to_canonical().unwrap();
        let mut expected = b"pli/v1/manifest\0".to_vec();
        expected.extend([1; 16]);
        expected.extend([0, 0, 0, 5]);
        expected.extend(b"Meaux");
        expected.extend([0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(bytes, expected);
        assert_eq!(Sample::from_canonical(&bytes).unwrap(), sample());
    }

    #[test]
    fn rejects_trailing_data_other_domains_limits_and_bad_markers() {
        let bytes = sample().to_canonical().unwrap();
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Sample::from_canonical(&longer),
            Err(Error::Encoding {
                problem: "trailing data",
                ..
            })
        ));
        let mut other = bytes.clone();
        other[7] = b'2'; // pli/v2/…
        assert!(Sample::from_canonical(&other).is_err());
        let mut marker = bytes.clone();
        let at = marker.len() - 9;
        marker[at] = 2;
        assert!(Sample::from_canonical(&marker).is_err());
        for end in 0..bytes.len() {
            assert!(Sample::from_canonical(&bytes[..end]).is_err(), "{end}");
        }
        let too_long = Sample {
            name: "Seine-et-Marne".into(),
            ..sample()
        };
        assert!(too_long.to_canonical().is_err());
        let too_many = Sample {
            tags: vec![0; 4],
            ..sample()
        };
        assert!(too_many.to_canonical().is_err());
    }
}
