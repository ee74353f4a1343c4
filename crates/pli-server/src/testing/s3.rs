//! The relay's tests on an S3 bucket: moto's server ([`pli_testkit::S3Server`], which
//! `cargo xtask test` installs and names in `PLI_TEST_S3_SERVER`), started per test with
//! a bucket of its own, the relay's settings for it, and what a reader of the bucket
//! finds there.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use futures_util::TryStreamExt as _;
use object_store::{ObjectStore as _, ObjectStoreExt as _};

use crate::blob::objects::S3Config;

/// The variable naming moto's `moto_server`.
pub const SERVER_VAR: &str = "PLI_TEST_S3_SERVER";

/// A running S3 server with one bucket; stopped when dropped.
#[derive(Debug)]
pub struct S3Server(pli_testkit::S3Server);

impl S3Server {
    /// Whether tests on S3 can run here (`PLI_TEST_S3_SERVER` is set). Without it they
    /// fail in CI (`CI` set) and are left out elsewhere, saying so.
    pub fn available() -> bool {
        if std::env::var_os(SERVER_VAR).is_some() {
            return true;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "{SERVER_VAR} is not set: CI runs the S3 tests (`cargo xtask test` installs moto)"
        );
        tracing::warn!("{SERVER_VAR} is not set: the S3 test is left out");
        false
    }

    /// Starts the server on a free port, with a fresh bucket.
    pub async fn start() -> anyhow::Result<Self> {
        let Some(program) = std::env::var_os(SERVER_VAR).map(PathBuf::from) else {
            bail!("{SERVER_VAR} is not set: run the tests through `cargo xtask test`");
        };
        let bucket = super::unique("pli")?.replace('_', "-");
        let server = tokio::task::spawn_blocking(move || {
            pli_testkit::S3Server::start(&program, &bucket, None)
        })
        .await
        .context("the S3 server's start")??;
        Ok(Self(server))
    }

    /// The relay's settings for this bucket, under `prefix` if any.
    pub fn config(&self, prefix: Option<&str>) -> S3Config {
        S3Config {
            bucket: self.0.bucket.clone(),
            prefix: prefix.map(str::to_owned),
            region: Some(pli_testkit::s3::REGION.to_owned()),
            endpoint: Some(self.0.endpoint.clone()),
            access_key_id: Some(pli_testkit::s3::ACCESS_KEY_ID.to_owned()),
            secret_access_key: Some(pli_testkit::s3::SECRET_ACCESS_KEY.to_owned()),
            allow_http: true,
        }
    }

    /// The `[s3]` section of a relay's configuration file for this bucket (TOML text).
    pub fn file_section(&self) -> String {
        self.0.section()
    }

    /// The `[s3]` section of the relay's configuration for this bucket, as
    /// `Config::s3` holds it.
    pub fn section(&self) -> toml::Table {
        toml::from_str::<toml::Table>(&self.0.section())
            .ok()
            .and_then(|mut file| file.remove("s3"))
            .and_then(|section| match section {
                toml::Value::Table(table) => Some(table),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Every object in the bucket and its bytes, read with a client of its own (not the
    /// relay's): what a reader of the bucket would find.
    pub async fn objects(&self) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let config = self.config(None);
        let store = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(pli_testkit::s3::REGION)
            .with_endpoint(&self.0.endpoint)
            .with_access_key_id(pli_testkit::s3::ACCESS_KEY_ID)
            .with_secret_access_key(pli_testkit::s3::SECRET_ACCESS_KEY)
            .with_allow_http(true)
            .build()?;
        let metas: Vec<_> = store.list(None).try_collect().await?;
        let mut objects = Vec::with_capacity(metas.len());
        for meta in metas {
            let bytes = store.get(&meta.location).await?.bytes().await?;
            objects.push((meta.location.to_string(), bytes.to_vec()));
        }
        Ok(objects)
    }
}
