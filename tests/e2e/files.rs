//! Files as people think of them (issue 15, items 5 and 8): an empty file is sent only
//! once the sender confirmed it, and arrives as the 0-byte file it is; files whose names
//! clean to the same name are saved under distinct names, not over each other; and when
//! the file picker cannot open or is closed (as headless Chromium's own does), the page
//! says nothing was saved and offers the streamed download instead, which saves the same
//! bytes.

use std::time::Duration;

use pli_api::Category;
use pli_client::{FileInput, SendOptions};
use pli_e2e::cast::{COURT, Cast, cast};
use pli_e2e::{Backend, Browser, relay};

/// Bytes that differ from file to file.
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Makes the page's `showSaveFilePicker` fail as a browser does with the error `name`.
async fn picker_fails(browser: &Browser, name: &str) {
    browser
        .run(&format!(
            "window.showSaveFilePicker = () => Promise.reject(new DOMException('no', '{name}')); return true;"
        ))
        .await
        .unwrap();
}

/// The text of the element matching `css`.
async fn text(browser: &Browser, css: &str) -> String {
    browser.find(css).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn empty_files_are_confirmed_same_names_are_kept_apart_and_a_failed_picker_offers_the_download()
 {
    let server = relay(Backend::Sqlite).await.unwrap();
    let Cast {
        court,
        greffier,
        caseworker,
        ..
    } = cast(&server.base, &server.setup_token).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let empty = files.path().join("vide.pdf");
    std::fs::write(&empty, b"").unwrap();
    let note = files.path().join("note.txt");
    let note_bytes = content(2_000, 1);
    std::fs::write(&note, &note_bytes).unwrap();

    // (1) An empty file is named, and the send waits for the sender's confirmation.
    let mut ase = Browser::logged_in(&server.base, "files-ase", &caseworker)
        .await
        .unwrap();
    ase.goto("#/send").await.unwrap();
    ase.fill_send_form(&[&empty, &note], COURT, "Rapport", "Pièces du dossier")
        .await
        .unwrap();
    let warning = text(&ase, "[data-testid=empty-warning]").await;
    assert!(
        warning.contains("Le fichier « vide.pdf » est vide (0 octet). L'envoyer quand même ?"),
        "{warning}"
    );
    ase.run("document.querySelector('[data-testid=empty-warning]').scrollIntoView({ block: 'center' }); return true;")
        .await
        .unwrap();
    ase.record("empty-warning").await.unwrap();
    ase.click("[data-testid=send]").await.unwrap();
    let refused = text(&ase, "[data-testid=checks]").await;
    assert!(
        refused.contains("« vide.pdf » est vide (0 octet)"),
        "{refused}"
    );
    let focused = ase.run("return document.activeElement.id;").await.unwrap();
    assert_eq!(focused, "confirm-empty");
    ase.record("empty-refused").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let outbox = caseworker.session.outbox().await.unwrap();
    assert!(outbox.exchanges.is_empty(), "sent without confirmation");

    ase.click("[data-testid=confirm-empty]").await.unwrap();
    assert!(
        !ase.has("[data-testid=checks]").await.unwrap(),
        "the confirmation is still asked for"
    );
    ase.click("[data-testid=send]").await.unwrap();
    ase.wait_for("[data-testid=sent]", Duration::from_secs(120))
        .await
        .unwrap();
    let sent = ase
        .find("[data-testid=sent-link]")
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // The form is empty again: no warning left over.
    ase.find("[data-testid=files-empty]").await.unwrap();
    assert!(!ase.has("[data-testid=empty-warning]").await.unwrap());

    // The court receives a 0-byte file, and saves it as one.
    let mut tj = Browser::logged_in(&server.base, "files-court", &greffier)
        .await
        .unwrap();
    tj.goto(&sent).await.unwrap();
    tj.find("[data-testid=verified-badge]").await.unwrap();
    assert_eq!(text(&tj, "[data-testid=file-name-0]").await, "vide.pdf");
    assert_eq!(text(&tj, "[data-testid=file-size-0]").await, "0 o");
    assert!(tj.save_file(0, "vide.pdf").await.unwrap().is_empty());
    assert!(tj.save_file(1, "note.txt").await.unwrap() == note_bytes);
    tj.record("empty-received").await.unwrap();

    // (2) Three files whose names clean to the same name on Windows and macOS.
    let originals = [
        ("rapport:1.pdf", content(10_000, 2)),
        ("rapport?1.pdf", content(11_000, 3)),
        ("Rapport_1.PDF", content(12_000, 4)),
    ];
    let inputs = originals
        .iter()
        .map(|(name, bytes)| FileInput::from_bytes(name, "application/pdf", bytes.clone()))
        .collect();
    let options = SendOptions {
        category: Category::Rapport,
        subject: "Rapports du mois".into(),
        message: String::new(),
        case_reference: String::new(),
        urgent: false,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let id = caseworker
        .session
        .send(&court, inputs, &options)
        .await
        .unwrap();
    tj.goto(&format!("#/exchange/{id}")).await.unwrap();
    tj.wait_for_text("Rapports du mois", Duration::from_secs(30))
        .await
        .unwrap();
    let saved_as = ["rapport_1.pdf", "rapport_1 (2).pdf", "Rapport_1 (3).PDF"];
    for (index, name) in saved_as.iter().enumerate() {
        assert_eq!(
            text(&tj, &format!("[data-testid=file-name-{index}]")).await,
            *name
        );
    }
    assert!(
        text(&tj, "[data-testid=file-renamed-1]")
            .await
            .contains("un autre fichier de ce pli porte le même nom")
    );
    tj.record("same-names").await.unwrap();

    // (3) A picker that cannot open: nothing is said saved, the download is offered.
    picker_fails(&tj, "NotAllowedError").await;
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let offer = tj
        .find("[data-testid=save-fallback-0][data-reason=unavailable]")
        .await
        .unwrap();
    let said = offer.text().await.unwrap();
    assert!(
        said.contains("Le sélecteur de fichier n'a pas pu s'ouvrir"),
        "{said}"
    );
    assert!(!said.contains("Fichier déchiffré"), "{said}");
    assert!(!tj.has("[data-testid=saved-0]").await.unwrap());
    tj.record("picker-unavailable").await.unwrap();
    // A picker the person closes: the same offer, saying it was cancelled.
    picker_fails(&tj, "AbortError").await;
    tj.click("[data-testid=save-file-0]").await.unwrap();
    let offer = tj
        .find("[data-testid=save-fallback-0][data-reason=closed]")
        .await
        .unwrap();
    assert!(
        offer
            .text()
            .await
            .unwrap()
            .contains("Enregistrement annulé")
    );
    tj.record("picker-closed").await.unwrap();
    assert!(
        std::fs::read_dir(tj.downloads.path())
            .unwrap()
            .next()
            .is_none(),
        "nothing was saved"
    );
    // "Télécharger plutôt" streams the same file to the downloads.
    tj.click("[data-testid=download-instead-0]").await.unwrap();
    tj.wait_for("[data-testid=saved-0]", Duration::from_secs(60))
        .await
        .unwrap();
    let first = tj
        .downloaded(saved_as[0], Duration::from_secs(60))
        .await
        .unwrap();
    assert!(pli_e2e::read(&first).unwrap() == originals[0].1);
    tj.record("downloaded-instead").await.unwrap();

    // The other two land beside it under their own names: three files, none overwritten.
    for (index, name) in saved_as.iter().enumerate().skip(1) {
        tj.click_save(index).await.unwrap();
        tj.wait_for(
            &format!("[data-testid=saved-{index}]"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        tj.downloaded(name, Duration::from_secs(60)).await.unwrap();
    }
    let mut in_folder: Vec<String> = std::fs::read_dir(tj.downloads.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    in_folder.sort();
    let mut expected: Vec<String> = saved_as.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(in_folder, expected);
    for (name, (_, bytes)) in saved_as.iter().zip(&originals) {
        assert!(pli_e2e::read(&tj.downloads.path().join(name)).unwrap() == *bytes);
    }
    tj.record("same-names-saved").await.unwrap();

    // Headless Chromium's own picker, untouched: it cannot be shown there (it fails as if
    // closed), and the page offers the download, which saves the file.
    ase.goto(&sent).await.unwrap();
    ase.find("[data-testid=verified-badge]").await.unwrap();
    ase.click("[data-testid=save-file-1]").await.unwrap();
    ase.wait_for("[data-testid=save-fallback-1]", Duration::from_secs(30))
        .await
        .unwrap();
    ase.click("[data-testid=download-instead-1]").await.unwrap();
    ase.wait_for("[data-testid=saved-1]", Duration::from_secs(60))
        .await
        .unwrap();
    let copy = ase
        .downloaded("note.txt", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(pli_e2e::read(&copy).unwrap() == note_bytes);
    ase.record("headless-picker-downloaded").await.unwrap();

    ase.close().await.unwrap();
    tj.close().await.unwrap();
}
