//! Saving to a file the person picks (Chromium's first way), which the decrypting worker
//! writes itself: a file the relay altered, or a save cancelled midway, leaves no file;
//! the save after them writes every byte.
//!
//! Saving to the browser's downloads through the service worker (`web/static/sw.js`),
//! cancelled midway and done again: a save the person cancels with the page's button
//! leaves no file under the file's name in the downloads (the decrypting worker aborts
//! the stream, which the service worker errors, so the browser marks the download failed
//! instead of presenting a part of the file as the file); a second save of the same file,
//! through the same path, puts every byte there.
//!
//! And saving through an older service worker, still the one the browser runs right after
//! a deploy (`tests/e2e/fixtures/sw-version-1.js`, as served before): it reads one port
//! only and says `ready` without a version, so the page forwards the chunks itself, within
//! the window the service worker's `ack`s open, and ends the stream: every byte arrives.

use std::io::{BufReader, BufWriter, Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use pli_api::{Category, OrgId};
use pli_client::{FileInput, SendOptions};
use pli_e2e::cast::{Cast, Person, cast};
use pli_e2e::{Backend, Browser, TestServer, relay, until};
use sha2::{Digest as _, Sha256};

/// The file sent: a recording of a hearing, large enough that saving it takes seconds.
const NAME: &str = "audition.mp4";
/// Its size: 300 MiB and a few bytes (its last STREAM chunk is not a full one).
const SIZE: u64 = (300 << 20) + 4_321;

/// Writes `len` bytes to `path` that do not repeat (a counter through SplitMix64: any two
/// 64 KiB chunks swapped, repeated or left out change the file), and returns their
/// SHA-256.
fn write_varied(path: &Path, len: u64) -> [u8; 32] {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut hash = Sha256::new();
    let mut block = Vec::with_capacity(1 << 20);
    let mut counter: u64 = 0;
    let mut left = len;
    while left > 0 {
        block.clear();
        let take = left.min(1 << 20) as usize;
        while block.len() < take {
            counter = counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = counter;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            block.extend_from_slice(&z.to_le_bytes());
        }
        block.truncate(take);
        hash.update(&block);
        out.write_all(&block).unwrap();
        left -= take as u64;
    }
    out.flush().unwrap();
    hash.finalize().into()
}

/// The size and SHA-256 of the file at `path`, read in 1 MiB steps.
fn size_and_sha256(path: &Path) -> (u64, [u8; 32]) {
    let mut file = BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut size = 0;
    loop {
        let read = file.read(&mut buf).unwrap();
        if read == 0 {
            return (size, hash.finalize().into());
        }
        hash.update(&buf[..read]);
        size += read as u64;
    }
}

/// Makes the page's `showSaveFilePicker` fail as a browser does when the person closes
/// it: the page then offers « Télécharger plutôt », the service worker's path.
async fn picker_closed(browser: &Browser) {
    browser
        .run("window.showSaveFilePicker = () => Promise.reject(new DOMException('no', 'AbortError')); return true;")
        .await
        .unwrap();
}

/// What the browser's download folder holds, sorted.
fn in_folder(browser: &Browser) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(browser.downloads.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The percentage file 0's progress bar shows, if it shows one.
async fn progress(browser: &Browser) -> Option<u64> {
    browser
        .run("const bar = document.querySelector('[data-testid=file-0] progress'); return bar ? Number(bar.value) : null;")
        .await
        .unwrap()
        .as_u64()
}

/// How many runs of chunks the worker's pool has sealed or opened since it started, as
/// file 0's progress bar says (0 if it shows none).
async fn runs_pooled(browser: &Browser) -> u64 {
    browser
        .run("const bar = document.querySelector('[data-testid=file-0] progress'); return bar ? Number(bar.dataset.pooled) : 0;")
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(0)
}

/// Takes the download path for file 0: the picker fails as closed, and « Télécharger
/// plutôt » starts the service worker's stream.
async fn download_instead(browser: &Browser) {
    picker_closed(browser).await;
    browser.click("[data-testid=save-file-0]").await.unwrap();
    browser
        .find("[data-testid=save-fallback-0][data-reason=closed]")
        .await
        .unwrap();
    browser
        .click("[data-testid=download-instead-0]")
        .await
        .unwrap();
}

/// The caseworker's native client sends the court the file at `path` (`size` varied
/// bytes of type `media_type`, written first, read from disk while sent) under `subject`;
/// the greffier opens the exchange in a browser named `browser`. Returns that browser
/// and the file's SHA-256.
async fn sent_and_opened(
    server: &TestServer,
    caseworker: &Person,
    court: &OrgId,
    greffier: &Person,
    path: &Path,
    (size, media_type): (u64, &str),
    (subject, browser): (&str, &str),
) -> (Browser, [u8; 32]) {
    let sent_sha256 = write_varied(path, size);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let input = FileInput {
        name: name.clone(),
        media_type: media_type.into(),
        size,
        reader: Box::new(futures_util::io::AllowStdIo::new(BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(path).unwrap(),
        ))),
    };
    let options = SendOptions {
        category: Category::Rapport,
        subject: subject.into(),
        message: String::new(),
        case_reference: String::new(),
        urgent: false,
        copy_to_sender: false,
        in_reply_to: None,
    };
    let id = caseworker
        .session
        .send(court, vec![input], &options)
        .await
        .unwrap();
    let tj = Browser::logged_in(&server.base, browser, greffier)
        .await
        .unwrap();
    tj.goto(&format!("#/exchange/{id}")).await.unwrap();
    tj.wait_for_text(subject, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(tj.text("[data-testid=file-name-0]").await.unwrap(), name);
    (tj, sent_sha256)
}

/// A relay and its cast; the caseworker's native client sends the court the recording
/// ([`NAME`], [`SIZE`] bytes, written to a folder returned with the rest), and the
/// greffier opens it in a browser named `browser`; with the recording's SHA-256.
async fn recording_opened(browser: &str) -> (TestServer, Browser, [u8; 32], tempfile::TempDir) {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast {
        court,
        greffier,
        caseworker,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let (tj, sent_sha256) = sent_and_opened(
        &server,
        &caseworker,
        &court,
        &greffier,
        &files.path().join(NAME),
        (SIZE, "video/mp4"),
        ("Enregistrement de l'audition", browser),
    )
    .await;
    (server, tj, sent_sha256, files)
}

#[tokio::test]
async fn a_save_to_the_downloads_cancelled_midway_leaves_no_file_and_a_second_one_saves_every_byte()
{
    // (1) The caseworker's native client sends the court the recording, read from disk;
    // (2) the greffier opens it and takes the download path.
    let (_server, mut tj, sent_sha256, _files) = recording_opened("save-cancelled").await;
    download_instead(&tj).await;

    // While it is under way — the page shows its progress and the browser is writing the
    // download — the greffier cancels, well before the end.
    let started = Instant::now();
    let at = loop {
        assert!(
            !tj.has("[data-testid=saved-0], [data-testid=save-error-0]")
                .await
                .unwrap(),
            "the save ended before it could be cancelled: {}",
            tj.text("[data-testid=file-0]").await.unwrap()
        );
        if let Some(percent) = progress(&tj).await
            && percent >= 2
            && !in_folder(&tj).is_empty()
        {
            break percent;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no save under way after 120 s: progress {:?}, downloads {:?}",
            progress(&tj).await,
            in_folder(&tj)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(at < 50, "the save was at {at} % already");
    let partial = in_folder(&tj);
    assert!(
        partial.iter().all(|name| name.ends_with(".crdownload")),
        "a file under its final name while the download runs: {partial:?}"
    );
    // « Télécharger plutôt » put the focus on what stops the download.
    let focused = tj.run("return document.activeElement.id;").await.unwrap();
    assert_eq!(focused, "cancel-file-0");
    let cancel = tj.find("[data-testid=cancel-file-0]").await.unwrap();
    assert_eq!(
        cancel.attr("aria-label").await.unwrap().as_deref(),
        Some("Annuler l'enregistrement de audition.mp4")
    );
    tj.screenshot("saving").await.unwrap();
    cancel.click().await.unwrap();

    // The page says the saving was cancelled, and nothing else.
    let (outcome, text) = save_ended(&tj, Duration::from_secs(60)).await;
    assert_eq!(
        outcome, "save-cancelled-0",
        "cancelled at {at} %, the page says: {text}"
    );
    assert_eq!(text, "Enregistrement annulé.");
    assert!(!tj.has("[data-testid=cancel-file-0]").await.unwrap());
    assert!(!tj.has("[data-testid=file-0] progress").await.unwrap());
    // The focus the cancel button held goes back to the file's button.
    let focused = tj.run("return document.activeElement.id;").await.unwrap();
    assert_eq!(focused, "save-file-0");
    tj.record("cancelled").await.unwrap();

    // The browser keeps no file under its name, nor under any other final name: at most
    // a partial download, which it never presents as the file. (A bounded wait: what is
    // checked is that nothing appears.)
    let cancelled_at = Instant::now();
    while cancelled_at.elapsed() < Duration::from_secs(8) {
        let now = in_folder(&tj);
        assert!(
            now.iter().all(|name| name.ends_with(".crdownload")),
            "the cancelled save left a file in the downloads: {now:?} ({} bytes in {NAME})",
            std::fs::metadata(tj.downloads.path().join(NAME)).map_or(0, |m| m.len())
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // And the download failed, rather than waiting: the browser removed its partial file
    // (a stream left open, neither ended nor errored, would keep its `.crdownload`).
    let mut leftovers = in_folder(&tj);
    let failing = Instant::now();
    while !leftovers.is_empty() && failing.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        leftovers = in_folder(&tj);
    }
    assert!(
        leftovers.is_empty(),
        "the cancelled download was not failed: {leftovers:?}"
    );

    // (3) The greffier saves it again, the same way, to the end: every byte arrives,
    // most of it opened by the worker's pool (its runs counted on the progress bar).
    download_instead(&tj).await;
    let ended = ENDED;
    // The count runs since the worker started: the cancelled save's runs are counted out.
    let mut before = None;
    let mut pooled = 0;
    let started = Instant::now();
    while !tj.has(ended).await.unwrap() {
        let now = runs_pooled(&tj).await;
        if tj.has("[data-testid=file-0] progress").await.unwrap() {
            let before = *before.get_or_insert(now);
            pooled = pooled.max(now.saturating_sub(before));
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the second save did not end within 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 300 MiB: some 300 runs of 1 MiB, the first ones perhaps opened by the keys' worker
    // while the helpers start.
    assert!(
        pooled >= 100,
        "the pool opened {pooled} runs of the 300 MiB save"
    );
    let said = tj.find(ended).await.unwrap();
    assert_eq!(
        said.attr("data-testid").await.unwrap().as_deref(),
        Some("saved-0"),
        "the second save: {}",
        said.text().await.unwrap()
    );
    // Chromium names the download under its final name only once it completed.
    let saved = tj.downloads.path().join(NAME);
    let started = Instant::now();
    while !saved.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{NAME} never arrived; the downloads hold {:?}",
            in_folder(&tj)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (size, sha256) = size_and_sha256(&saved);
    assert_eq!(size, SIZE);
    assert!(sha256 == sent_sha256, "{NAME} differs from the file sent");
    let after: Vec<String> = in_folder(&tj)
        .into_iter()
        .filter(|name| !leftovers.contains(name))
        .collect();
    assert_eq!(after, [NAME], "the second save, beside {leftovers:?}");
    tj.record("saved-again").await.unwrap();

    tj.close().await.unwrap();
}

/// What the page says of a file that does not verify.
const ALTERED: &str = "La vérification cryptographique a échoué";

/// The stored ciphertext files of the relay's blob store at least `size` bytes large.
fn stored_at_least(server: &TestServer, size: u64) -> Vec<std::path::PathBuf> {
    pli_e2e::files_under(&server.data.path().join("blobs"), |len| len >= size).unwrap()
}

/// Flips one byte of the file at `path`, `at` bytes in.
fn flip_byte(path: &Path, at: u64) {
    use std::io::{Seek as _, SeekFrom};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(at)).unwrap();
    file.read_exact(&mut byte).unwrap();
    byte[0] ^= 0x5a;
    file.seek(SeekFrom::Start(at)).unwrap();
    file.write_all(&byte).unwrap();
    file.sync_all().unwrap();
}

/// What file 0 shows once its saving ended: saved, failed or cancelled.
const ENDED: &str =
    "[data-testid=saved-0], [data-testid=save-error-0], [data-testid=save-cancelled-0]";

/// What the page says once the saving of file 0 ended: its `data-testid` and text.
async fn save_ended(browser: &Browser, within: Duration) -> (String, String) {
    let said = browser.wait_for(ENDED, within).await.unwrap();
    (
        said.attr("data-testid").await.unwrap().unwrap_or_default(),
        said.text().await.unwrap(),
    )
}

/// Waits until the site's private file system holds no file (the page removes the file
/// its picker made once a save failed or was cancelled).
async fn no_private_file_left(browser: &Browser) {
    until(Duration::from_secs(10), || async {
        let left = browser.private_files().await.unwrap();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("left behind: {left:?}"))
        }
    })
    .await;
}

/// Saving to the file the person picks, Chromium's first way (here a file of the site's
/// private file system, which the page's picker hands over as the dialog would): the
/// decrypting worker writes it itself and closes it only once the whole file verified.
/// A file the relay altered leaves no file behind, nor does a save cancelled midway; the
/// save after them writes every byte, under the file's name.
#[tokio::test]
async fn a_picked_file_is_written_by_the_worker_and_removed_when_it_does_not_verify_or_is_cancelled()
 {
    let (server, tj, sent_sha256, _files) = recording_opened("save-picked").await;
    tj.picker_to_private_files().await.unwrap();

    // (1) The relay serves the recording altered in one of its parts: the saving fails,
    // and the file the picker made is gone. The page removes it only if it is empty: had
    // the worker closed it with what it wrote rather than aborting, it would stay.
    let stored = stored_at_least(&server, 8 << 20);
    let altered = stored
        .last()
        .expect("the recording's ciphertext on the relay's disk");
    let at = std::fs::metadata(altered).unwrap().len() - 1_000;
    flip_byte(altered, at);
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let (outcome, text) = save_ended(&tj, Duration::from_secs(180)).await;
    assert_eq!(outcome, "save-error-0", "an altered file: {text}");
    assert!(text.contains(ALTERED), "an altered file: {text}");
    no_private_file_left(&tj).await;

    // Saved over a file the person chose to replace, the altered recording leaves that
    // file as it was.
    let before = "contenu précédent";
    let kept = tj
        .run(&format!(
            "return (async () => {{ \
               const root = await navigator.storage.getDirectory(); \
               const file = await root.getFileHandle('{NAME}', {{ create: true }}); \
               const writable = await file.createWritable(); \
               await writable.write('{before}'); \
               await writable.close(); \
               return true; \
             }})();"
        ))
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!(true));
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let (outcome, text) = save_ended(&tj, Duration::from_secs(180)).await;
    assert_eq!(outcome, "save-error-0", "an altered file: {text}");
    let held = tj
        .run(&format!(
            "return (async () => (await (await (await navigator.storage.getDirectory()) \
               .getFileHandle('{NAME}')).getFile()).text())();"
        ))
        .await
        .unwrap();
    assert_eq!(held.as_str(), Some(before), "the replaced file");
    tj.run(&format!(
        "return (async () => {{ await (await navigator.storage.getDirectory()).removeEntry('{NAME}'); return true; }})();"
    ))
    .await
    .unwrap();
    flip_byte(altered, at);

    // (2) Saved again, and cancelled while under way: nothing is left either.
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let started = Instant::now();
    loop {
        let (busy, done) = (
            progress(&tj).await,
            tj.has("[data-testid=saved-0], [data-testid=save-error-0]")
                .await
                .unwrap(),
        );
        assert!(!done, "the save ended before it could be cancelled");
        if busy.is_some_and(|p| p >= 2) {
            assert!(busy < Some(50), "the save was at {busy:?} % already");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no save under way after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        tj.private_files()
            .await
            .unwrap()
            .iter()
            .any(|(name, _)| name.starts_with(NAME)),
        "no picked file while the save is under way"
    );
    tj.click("[data-testid=cancel-file-0]").await.unwrap();
    let (outcome, text) = save_ended(&tj, Duration::from_secs(60)).await;
    assert_eq!(
        (outcome.as_str(), text.as_str()),
        ("save-cancelled-0", "Enregistrement annulé.")
    );
    no_private_file_left(&tj).await;

    // (3) Saved to the end: the page says so, and the file holds every byte.
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let (outcome, text) = save_ended(&tj, Duration::from_secs(300)).await;
    assert_eq!(outcome, "saved-0", "the last save: {text}");
    assert!(
        text.contains("Fichier déchiffré, vérifié et enregistré."),
        "{text}"
    );
    assert_eq!(tj.private_files().await.unwrap(), [(NAME.to_owned(), SIZE)]);
    let on_disk = tj.private_files_on_disk(SIZE).unwrap();
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    let (size, sha256) = size_and_sha256(&on_disk[0]);
    assert_eq!(size, SIZE);
    assert!(
        sha256 == sent_sha256,
        "the saved file differs from the file sent"
    );
    tj.close().await.unwrap();
}

/// The service worker as served before its second port (vendored as it was).
const SERVICE_WORKER_VERSION_1: &str = include_str!("fixtures/sw-version-1.js");

/// A relay serving a copy of the web app whose `/sw.js` is `script`.
async fn relay_with_service_worker(script: &str) -> (TestServer, tempfile::TempDir) {
    pli_e2e::relay_serving_changed_copy(|web| {
        let file = web.join("sw.js");
        std::fs::write(&file, script)?;
        Ok(vec![file])
    })
    .await
    .unwrap()
}

/// The script the downloads' active service worker runs, as its registration names it
/// (waiting for one to be active).
async fn active_service_worker_script(browser: &Browser) -> String {
    let script = browser
        .run(
            "return (async () => { \
               let registration; \
               while (!(registration = await navigator.serviceWorker \
                          .getRegistration('/__download/'))?.active) { \
                 await new Promise((resolve) => setTimeout(resolve, 50)); \
               } \
               const url = registration.active.scriptURL; \
               const script = await (await fetch(url, { cache: 'no-store' })).text(); \
               return JSON.stringify({ url, script }); \
             })();",
        )
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(script.as_str().unwrap()).unwrap();
    assert_eq!(
        answer["url"].as_str(),
        Some(format!("{}/sw.js", browser.base.trim_end_matches('/')).as_str())
    );
    answer["script"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_older_service_worker_still_active_after_an_update_saves_every_byte_through_the_page() {
    /// A report: larger than the page's 8 MiB window several times over (the page waits
    /// for the service worker's acknowledgements), not a multiple of 64 KiB.
    const NAME: &str = "rapport-expertise.pdf";
    const SIZE: u64 = (40 << 20) + 1_234;

    // The relay serves the older service worker, as a browser still runs it right after
    // a deploy.
    let served = SERVICE_WORKER_VERSION_1;
    let (server, _web) = relay_with_service_worker(served).await;
    let Cast {
        court,
        greffier,
        caseworker,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();

    // (1) The caseworker's native client sends the court the report, read from disk;
    // (2) the greffier opens it; the service worker her browser runs is the older one.
    let files = tempfile::tempdir().unwrap();
    let (mut tj, sent_sha256) = sent_and_opened(
        &server,
        &caseworker,
        &court,
        &greffier,
        &files.path().join(NAME),
        (SIZE, "application/pdf"),
        ("Rapport d'expertise", "save-older-service-worker"),
    )
    .await;
    let running = active_service_worker_script(&tj).await;
    assert!(
        running == served,
        "the active service worker is not the one served ({} bytes)",
        running.len()
    );
    assert!(
        !running.contains("version: 2") && !running.contains("ports[1]"),
        "the active service worker reads the second port"
    );

    // (3) She saves it through « Télécharger plutôt »: the page says it is saved.
    download_instead(&tj).await;
    let started = Instant::now();
    let said = loop {
        if let Ok(said) = tj.client.find(fantoccini::Locator::Css(ENDED)).await {
            break said;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the save did not end within 180 s: progress {:?} %, downloads {:?}",
            progress(&tj).await,
            in_folder(&tj)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = said.text().await.unwrap();
    assert_eq!(
        said.attr("data-testid").await.unwrap().as_deref(),
        Some("saved-0"),
        "the page says: {text}"
    );
    assert!(
        text.contains("remis à votre navigateur"),
        "the page says: {text}"
    );

    // Every byte arrives, under the file's name, and nothing else.
    let saved = tj.downloads.path().join(NAME);
    let started = Instant::now();
    while !saved.is_file() || in_folder(&tj).iter().any(|n| n.ends_with(".crdownload")) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{NAME} never arrived whole; the downloads hold {:?}",
            in_folder(&tj)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (size, sha256) = size_and_sha256(&saved);
    assert_eq!(size, SIZE, "{NAME}'s size");
    assert!(sha256 == sent_sha256, "{NAME} differs from the file sent");
    assert_eq!(in_folder(&tj), [NAME]);
    tj.record("saved-through-the-page").await.unwrap();

    tj.close().await.unwrap();
}

/// The scopes of this browser's service worker registrations, once they are `expected`
/// (waiting up to 20 s for boot.js to register and unregister).
async fn registrations_become(browser: &Browser, expected: &[String]) {
    until(Duration::from_secs(20), || async move {
        let scopes = browser
            .run(
                "return (async () => JSON.stringify( \
                   (await navigator.serviceWorker.getRegistrations()) \
                     .filter((r) => r.active).map((r) => r.scope).sort()))();",
            )
            .await
            .unwrap();
        let scopes: Vec<String> = serde_json::from_str(scopes.as_str().unwrap()).unwrap();
        if scopes == expected {
            Ok(())
        } else {
            Err(format!(
                "the registrations stay {scopes:?}, not {expected:?}"
            ))
        }
    })
    .await;
}

/// Whether the page is controlled by a service worker (every request it and its workers
/// make then goes through it).
async fn controlled(browser: &Browser) -> bool {
    browser
        .run("return navigator.serviceWorker.controller !== null;")
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

/// The service worker serves the downloads only (scope `/__download/`): registered for
/// the whole app, as it was before 7 December 2026, it had every request of the pages and
/// their workers dispatched to it, and held each send's parts until it collected its
/// garbage (a 1 GiB send grew the renderer by 1.27 GiB: README). A browser that still has
/// that registration loses it at the app's next load, and the page after is controlled by
/// none.
#[tokio::test]
async fn the_service_worker_controls_no_page_and_a_registration_for_the_whole_app_goes() {
    let server = relay(Backend::Sqlite).await.unwrap();
    let browser = Browser::open(&server.base, "sw-scope").await.unwrap();
    let base = server.base.trim_end_matches('/');
    let downloads = format!("{base}/__download/");
    browser.goto("#/login").await.unwrap();
    browser.find("#login-email").await.unwrap();
    registrations_become(&browser, std::slice::from_ref(&downloads)).await;
    assert!(!controlled(&browser).await, "a fresh page is controlled");

    // The registration of before, made as boot.js made it then.
    browser
        .run(
            "return (async () => { \
               const r = await navigator.serviceWorker.register('/sw.js', { scope: '/' }); \
               while (!r.active) await new Promise((resolve) => setTimeout(resolve, 50)); \
               return true; \
             })();",
        )
        .await
        .unwrap();
    registrations_become(&browser, &[format!("{base}/"), downloads.clone()]).await;

    // The next load removes it; the page loaded after that is controlled by none.
    browser.client.refresh().await.unwrap();
    browser.find("#login-email").await.unwrap();
    registrations_become(&browser, std::slice::from_ref(&downloads)).await;
    browser.client.refresh().await.unwrap();
    browser.find("#login-email").await.unwrap();
    assert!(!controlled(&browser).await, "the page is still controlled");

    // A download the service worker does not know (a page that navigated after it was
    // restarted), or a path it cannot even decode, leaves the page where it is: no error
    // page replaces the app. Nothing tells the page that a navigation ended without a
    // document (the Navigation API's promises never settle for a 204), so the test waits:
    // the service worker, active and used moments ago, answers in milliseconds (with the
    // 404 page of before, the page was replaced well within this wait).
    for path in [
        "/__download/ffffffffffffffffffffffffffffffff",
        "/__download/%E0%A4%A",
    ] {
        browser
            .run(&format!(
                "window.pliStillHere = true; location.href = '{path}'; return true;"
            ))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let stayed = browser
            .run("return window.pliStillHere === true && location.pathname === '/';")
            .await
            .unwrap();
        assert_eq!(stayed, serde_json::json!(true), "{path} replaced the page");
    }
    browser.find("#login-email").await.unwrap();
    browser.close().await.unwrap();
}
