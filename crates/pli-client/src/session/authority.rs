//! The platform root, held by the platform authority and never by the relay.
//!
//! Set-up makes the root in the authority's browser and seals it into no key bundle: the
//! session holds it, the browser keeps it sealed to the person's own key (see the web
//! worker's keystore), and the authority saves it as a root file under a passphrase of
//! its own ([`pli_crypto::authority`]). Another browser imports that file. A bundle sealed
//! before this rule still holds the root: such a session says so
//! ([`Session::root_on_relay`]) until the authority saves the file and takes the root out
//! of the bundle ([`Session::take_root_off_relay`]).

use pli_crypto::age::{decrypt_to_vec, encrypt_to_vec};
use pli_crypto::sign::SigningKey;
use zeroize::Zeroizing;

use super::Session;
use super::auth::check_new_password;
use crate::error::ClientError;

impl Session {
    /// Whether this session can sign as the platform root.
    pub fn holds_root(&self) -> bool {
        self.root_key.is_some()
    }

    /// Whether the relay still keeps the root, sealed in this person's key bundle (an
    /// account set up before the root left the relay).
    pub fn root_on_relay(&self) -> bool {
        self.root_on_relay
    }

    /// The root, or [`ClientError::RootAbsent`] (a platform admin on a device the root
    /// file was not imported into).
    pub(crate) fn root(&self) -> Result<&SigningKey, ClientError> {
        self.root_key.as_ref().ok_or(ClientError::RootAbsent)
    }

    /// The root sealed to this person's own encryption key, for a device to keep: what a
    /// copy of the device's storage yields without the person's password and account key
    /// is nothing.
    pub fn sealed_root(&self) -> Result<Option<Vec<u8>>, ClientError> {
        let Some(root) = &self.root_key else {
            return Ok(None);
        };
        let (sealed, _) = encrypt_to_vec(
            &[self.keys.encryption.to_recipient()],
            root.to_bytes().as_slice(),
        )?;
        Ok(Some(sealed))
    }

    /// Takes back a root this device kept ([`Self::sealed_root`]): only the platform's own
    /// root (the one this session trusts) is held.
    pub fn adopt_sealed_root(&mut self, sealed: &[u8]) -> Result<(), ClientError> {
        let seed = Zeroizing::new(
            decrypt_to_vec(std::slice::from_ref(&self.keys.encryption), sealed)
                .map_err(ClientError::Decrypt)?,
        );
        let seed = <[u8; 32]>::try_from(seed.as_slice())
            .map_err(|_| ClientError::verification("the kept root is not a key"))?;
        self.hold_root(SigningKey::from_bytes(&seed))
    }

    /// The root file's text, sealed under `passphrase` (which must pass the same rule as
    /// a password, and must not be the person's password).
    pub fn export_root(&self, passphrase: &str) -> Result<String, ClientError> {
        let root = self.root()?;
        check_new_password(
            passphrase,
            &[&self.me.email, &self.me.display_name, &self.me.org_name],
        )?;
        Ok(pli_crypto::authority::seal(root, passphrase)?)
    }

    /// Imports a root file: [`ClientError::RootFileOther`] if it holds another root than
    /// this platform's.
    pub fn import_root(&mut self, text: &str, passphrase: &str) -> Result<(), ClientError> {
        let root = pli_crypto::authority::open(text, passphrase)?;
        self.hold_root(root)
    }

    fn hold_root(&mut self, root: SigningKey) -> Result<(), ClientError> {
        if root.verifying_key() != self.trust.0 {
            return Err(ClientError::RootFileOther);
        }
        self.root_key = Some(root);
        Ok(())
    }

    /// Seals this person's bundle again without the root, once the authority has saved
    /// the root file: from then on the relay holds no copy of it, even sealed. Needs the
    /// password (and the second factor, if on) again; like a password change, it ends the
    /// person's other sessions.
    pub async fn take_root_off_relay(
        &mut self,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), ClientError> {
        self.root()?;
        let account_key = self
            .account_key
            .clone()
            .ok_or(ClientError::Crypto(pli_crypto::Error::AccountKeyNeeded))?;
        self.reauth(password, totp).await?;
        self.root_on_relay = false;
        let sealed = self.set_password(password, &account_key).await;
        if sealed.is_err() {
            self.root_on_relay = true;
        }
        sealed
    }
}
