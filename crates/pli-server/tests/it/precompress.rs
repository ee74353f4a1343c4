//! Issue 12, "what the login page transfers": the web app's files are served precompressed.
//! `cargo xtask web` writes `<file>.br` and `<file>.gz` beside each compressible file; the
//! relay sends the variant the browser accepts (brotli first, then gzip, else the file
//! itself) with the original's Content-Type, cache policy and security headers. The test
//! builds its own tiny web folder, so it does not depend on the real bundle.

use std::io::{Read as _, Write as _};

use crate::harness::{Backend, TestApp, spawn_app_with};

/// A web folder like the bundle's: `index.html`, a wasm module with both variants, a
/// script with gzip only, and an image with none.
struct Dist {
    _dir: tempfile::TempDir,
    index: Vec<u8>,
    wasm: Vec<u8>,
    wasm_br: Vec<u8>,
    wasm_gz: Vec<u8>,
    script: Vec<u8>,
    script_gz: Vec<u8>,
    image: Vec<u8>,
}

const WASM: &str = "/assets/app-0123abcd.wasm";
const SCRIPT: &str = "/assets/boot-4567cdef.js";
const IMAGE: &str = "/assets/logo-89abcdef.png";

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        writer.write_all(bytes).unwrap();
    }
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut writer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    writer.write_all(bytes).unwrap();
    writer.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn dist() -> Dist {
    let dir = tempfile::tempdir().unwrap();
    let assets = dir.path().join("assets");
    std::fs::create_dir(&assets).unwrap();
    let index = b"<!doctype html><title>Pli</title><p>Connexion</p>".repeat(20);
    // Compressible but not trivially: the variants differ from each other and from it.
    let wasm: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .chain(b"\0asm".iter().copied())
        .collect();
    let script = b"export function boot() { return 'pli'; }\n".repeat(50);
    let image = b"\x89PNG not really".to_vec();
    let (index_br, wasm_br, wasm_gz, script_gz) =
        (brotli(&index), brotli(&wasm), gzip(&wasm), gzip(&script));
    for (path, bytes) in [
        ("index.html", &index),
        ("index.html.br", &index_br),
        (WASM, &wasm),
        (&format!("{WASM}.br"), &wasm_br),
        (&format!("{WASM}.gz"), &wasm_gz),
        (SCRIPT, &script),
        (&format!("{SCRIPT}.gz"), &script_gz),
        (IMAGE, &image),
    ] {
        std::fs::write(dir.path().join(path.trim_start_matches('/')), bytes).unwrap();
    }
    Dist {
        _dir: dir,
        index,
        wasm,
        wasm_br,
        wasm_gz,
        script,
        script_gz,
        image,
    }
}

async fn serve(dist: &Dist) -> TestApp {
    let root = dist._dir.path().to_path_buf();
    spawn_app_with(Backend::Sqlite, move |c| c.web_dir = Some(root)).await
}

/// One answer, its body as sent (never decoded by the client).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn fetch(app: &TestApp, method: &str, path: &str, accept: Option<&str>) -> Answer {
    let http = reqwest::Client::new();
    let mut request = http.request(method.parse().unwrap(), format!("{}{path}", app.base));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

/// What every answer of a web file keeps, whichever variant it carries.
fn assert_served_as(answer: &Answer, content_type: &str, cache: &str, encoding: Option<&str>) {
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some(content_type));
    assert_eq!(answer.header("cache-control"), Some(cache));
    assert_eq!(answer.header("content-encoding"), encoding);
    assert_eq!(answer.header("vary"), Some("accept-encoding"));
    assert!(
        answer
            .header("content-security-policy")
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    assert_eq!(
        answer.header("cross-origin-embedder-policy"),
        Some("require-corp")
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tokio::test]
async fn precompress_brotli_is_sent_to_a_browser_that_accepts_it() {
    let dist = dist();
    let app = serve(&dist).await;
    // What Chromium sends.
    let answer = fetch(&app, "GET", WASM, Some("gzip, deflate, br, zstd")).await;
    assert_served_as(&answer, "application/wasm", IMMUTABLE, Some("br"));
    assert_eq!(answer.body, dist.wasm_br);
    assert_eq!(
        answer.header("content-length"),
        Some(dist.wasm_br.len().to_string().as_str())
    );
    assert!(dist.wasm_br.len() < dist.wasm.len() / 4);
    assert_eq!(unbrotli(&answer.body), dist.wasm);

    // The page itself, at `/`: its variant, its type and no caching.
    let index = fetch(&app, "GET", "/", Some("br")).await;
    assert_served_as(&index, "text/html; charset=utf-8", "no-cache", Some("br"));
    assert_eq!(unbrotli(&index.body), dist.index);
}

#[tokio::test]
async fn precompress_gzip_is_sent_when_brotli_is_not_accepted_or_absent() {
    let dist = dist();
    let app = serve(&dist).await;
    for accept in [
        "gzip",
        "gzip, deflate",
        "br;q=0, gzip",
        "br;q=0.5, gzip;q=1",
    ] {
        let answer = fetch(&app, "GET", WASM, Some(accept)).await;
        assert_served_as(&answer, "application/wasm", IMMUTABLE, Some("gzip"));
        assert_eq!(answer.body, dist.wasm_gz, "{accept}");
    }
    assert_eq!(gunzip(&dist.wasm_gz), dist.wasm);
    // The script has a `.gz` and no `.br`: a browser accepting both gets gzip.
    let script = fetch(&app, "GET", SCRIPT, Some("gzip, deflate, br")).await;
    assert_served_as(
        &script,
        "text/javascript; charset=utf-8",
        IMMUTABLE,
        Some("gzip"),
    );
    assert_eq!(script.body, dist.script_gz);
    assert_eq!(gunzip(&script.body), dist.script);
}

#[tokio::test]
async fn precompress_identity_without_accept_encoding_q0_or_variant() {
    let dist = dist();
    let app = serve(&dist).await;
    for accept in [
        None,
        Some("identity"),
        Some("br;q=0, gzip;q=0"),
        Some("zstd"),
    ] {
        let answer = fetch(&app, "GET", WASM, accept).await;
        assert_served_as(&answer, "application/wasm", IMMUTABLE, None);
        assert_eq!(answer.body, dist.wasm, "{accept:?}");
        assert_eq!(
            answer.header("content-length"),
            Some(dist.wasm.len().to_string().as_str())
        );
    }
    // No variant of the image: the file itself, whatever the browser accepts.
    let image = fetch(&app, "GET", IMAGE, Some("gzip, br")).await;
    assert_served_as(&image, "image/png", IMMUTABLE, None);
    assert_eq!(image.body, dist.image);
    // The variants are not files of the app of their own, nor folders, nor the API.
    for path in ["/assets", "/assets/", "/nope.js", "/api/nope"] {
        let answer = fetch(&app, "GET", path, Some("br")).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn precompress_head_answers_the_variant_headers_without_a_body() {
    let dist = dist();
    let app = serve(&dist).await;
    let head = fetch(&app, "HEAD", WASM, Some("gzip, br")).await;
    assert_served_as(&head, "application/wasm", IMMUTABLE, Some("br"));
    assert_eq!(
        head.header("content-length"),
        Some(dist.wasm_br.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
    let head = fetch(&app, "HEAD", WASM, Some("gzip")).await;
    assert_served_as(&head, "application/wasm", IMMUTABLE, Some("gzip"));
    assert_eq!(
        head.header("content-length"),
        Some(dist.wasm_gz.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
}

/// A file changed after its compressed copies were made (edited by hand, a copy left
/// behind) is served as itself: a stale copy would give the browser the old module.
#[tokio::test]
async fn precompress_copies_older_than_their_file_are_not_served() {
    let dist = dist();
    let app = serve(&dist).await;
    let changed: Vec<u8> = dist.wasm.iter().rev().copied().collect();
    let path = dist._dir.path().join(WASM.trim_start_matches('/'));
    std::fs::write(&path, &changed).unwrap();
    // Later than the copies whatever the file system's clock granularity.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    for accept in [Some("gzip, deflate, br, zstd"), Some("gzip"), None] {
        let answer = fetch(&app, "GET", WASM, accept).await;
        assert_served_as(&answer, "application/wasm", IMMUTABLE, None);
        assert_eq!(answer.body, changed, "{accept:?}");
    }
    // The script's copy is not older than it: still served.
    let script = fetch(&app, "GET", SCRIPT, Some("gzip")).await;
    assert_eq!(script.header("content-encoding"), Some("gzip"));
}
