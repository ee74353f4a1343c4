//! The inbox and outbox as a person's software shows them (issue 15): each row's preview
//! (category, subject, case reference, plaintext size) sealed by the sender inside the
//! signed envelope, verified and decrypted by the client; listing signs no receipt; and a
//! relay that swaps, alters or strips what it serves gets rows marked unverified, never a
//! preview it made up.

use pli_api::messages::ExchangeQuery;
use pli_client::protocol::{Listed, ListedPage, Mailbox};
use pli_client::{Client, Session};
use pli_crypto::manifest::Category;
use pli_server::testing::proxy::Proxy;

use super::harness::{Backend, PASSWORD, World, data, file, options, world};

/// Sends two exchanges from the caseworker to the court: an urgent signalement of two
/// files (410 bytes and 3 MiB), then a routine report without a case reference.
async fn two_exchanges(w: &World) -> [pli_api::ExchangeId; 2] {
    let signalement = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![
                file("signalement.pdf", data(410, 1)),
                file("annexe.pdf", data(3 << 20, 2)),
            ],
            &options("Signalement — fratrie D."),
        )
        .await
        .unwrap();
    let report = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("rapport.pdf", data(1000, 3))],
            &pli_client::SendOptions {
                category: Category::Rapport,
                case_reference: String::new(),
                urgent: false,
                ..options("Rapport d'échéance")
            },
        )
        .await
        .unwrap();
    [signalement, report]
}

fn read(page: &ListedPage, id: &pli_api::ExchangeId) -> pli_client::protocol::ListedPreview {
    let row = page
        .rows
        .iter()
        .find(|r| r.summary.exchange_id == *id)
        .unwrap();
    assert!(
        row.summary.envelope.is_none(),
        "the envelope is dropped once verified"
    );
    match &row.preview {
        Listed::Read(preview) => preview.clone(),
        other => panic!("{id}: {other:?}"),
    }
}

/// The court's clerk reads each row's subject, category, case reference, sender and real
/// size without opening anything (no receipt is signed); the Département's caseworker
/// and its admin read the same in the outbox.
#[tokio::test]
async fn lists_show_the_senders_preview_and_reading_them_signs_no_receipt() {
    let w = world(Backend::Sqlite).await;
    let [signalement, report] = two_exchanges(&w).await;

    let inbox = w
        .greffier
        .session
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(inbox.rows.len(), 2);
    assert_eq!(
        inbox.rows[0].summary.exchange_id, signalement,
        "urgent first"
    );
    let first = read(&inbox, &signalement);
    assert_eq!(first.subject, "Signalement — fratrie D.");
    assert_eq!(first.category, Category::Signalement);
    assert_eq!(first.case_reference, "2026/00042");
    assert_eq!(first.sender_name, "Travailleuse sociale Durand");
    assert_eq!(
        first.size,
        410 + (3 << 20),
        "plaintext bytes, not ciphertext"
    );
    assert!(inbox.rows[0].summary.total_size > first.size);
    let second = read(&inbox, &report);
    assert_eq!(second.subject, "Rapport d'échéance");
    assert_eq!(second.category, Category::Rapport);
    assert_eq!(second.case_reference, "");
    assert_eq!(second.size, 1000);

    // Listing is not reading: no receipt, both still unread.
    for id in [signalement, report] {
        let detail: pli_api::messages::ExchangeDetail = w
            .greffier
            .session
            .client()
            .fetch(&pli_api::endpoints::Exchange { id })
            .await
            .unwrap();
        assert!(detail.receipts.is_empty());
        assert_eq!(detail.summary.first_read_at, None);
    }

    for sender in [&w.caseworker, &w.dept_admin] {
        let outbox = sender
            .session
            .list(Mailbox::Outbox, ExchangeQuery::default())
            .await
            .unwrap();
        assert_eq!(
            read(&outbox, &signalement).subject,
            "Signalement — fratrie D."
        );
        assert_eq!(read(&outbox, &report).size, 1000);
    }
    // Someone of the recipient organisation sees nothing in their outbox.
    let none = w
        .greffier
        .session
        .list(Mailbox::Outbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert!(none.rows.is_empty());
}

/// An exchange sent without a copy for the sender's organisation: the sender's outbox
/// knows who sent it (the envelope verifies) but has no key for its preview.
#[tokio::test]
async fn an_exchange_not_copied_to_the_sender_lists_as_sealed_in_the_outbox() {
    let w = world(Backend::Sqlite).await;
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("a.pdf", data(10, 1))],
            &pli_client::SendOptions {
                copy_to_sender: false,
                ..options("Sans copie")
            },
        )
        .await
        .unwrap();
    let outbox = w
        .caseworker
        .session
        .list(Mailbox::Outbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(outbox.rows[0].summary.exchange_id, id);
    assert_eq!(
        outbox.rows[0].preview,
        Listed::Sealed {
            sender_name: "Travailleuse sociale Durand".into(),
            sender_service: false,
        }
    );
    let inbox = w
        .greffier
        .session
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(read(&inbox, &id).subject, "Sans copie");
}

/// A relay that swaps two rows' envelopes (each validly signed), flips a row's urgency,
/// strips the senders' certificates or alters a preview's bytes: every row it touched is
/// unverified, no made-up subject is shown, and the honest answer reads again.
#[tokio::test]
async fn a_relay_that_swaps_alters_or_strips_what_lists_show_gets_unverified_rows() {
    let w = world(Backend::Sqlite).await;
    let [signalement, report] = two_exchanges(&w).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let greffier = Session::login(
        &Client::new(&proxy.base),
        &w.greffier.email,
        PASSWORD,
        w.greffier.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap();
    let path = "/api/exchanges/inbox";
    let honest = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert!(
        honest
            .rows
            .iter()
            .all(|r| matches!(r.preview, Listed::Read(_)))
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&proxy.last_answer(path).unwrap()).unwrap();

    let lie = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut body = answer.clone();
        edit(&mut body);
        proxy.serve_canned(path, Some(serde_json::to_vec(&body).unwrap()));
    };
    let states = |page: &ListedPage| -> Vec<(pli_api::ExchangeId, bool)> {
        page.rows
            .iter()
            .map(|r| (r.summary.exchange_id, matches!(r.preview, Listed::Read(_))))
            .collect()
    };

    lie(&|body| {
        let rows = body["exchanges"].as_array_mut().unwrap();
        let first = rows[0]["envelope"].take();
        rows[0]["envelope"] = rows[1]["envelope"].take();
        rows[1]["envelope"] = first;
    });
    let swapped = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(states(&swapped), [(signalement, false), (report, false)]);
    assert!(swapped.rows.iter().all(|r| r.preview == Listed::Unverified));

    lie(&|body| {
        let row = &mut body["exchanges"][1];
        row["urgent"] = serde_json::Value::Bool(true);
    });
    let flipped = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(states(&flipped), [(signalement, true), (report, false)]);

    lie(&|body| body["senders"] = serde_json::json!([]));
    let stripped = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(states(&stripped), [(signalement, false), (report, false)]);

    // One byte of the first envelope's data changed (the preview is its tail).
    lie(&|body| {
        let data = body["exchanges"][0]["envelope"]["data"].as_str().unwrap();
        let mut bytes = base64_decode(data);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        body["exchanges"][0]["envelope"]["data"] = base64_encode(&bytes).into();
    });
    let altered = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(states(&altered), [(signalement, false), (report, true)]);

    // What the envelope says too cannot be changed beside it: the number of files, the
    // exchange answered, the dates, the size.
    for (field, value) in [
        ("file_count", serde_json::json!(7)),
        ("in_reply_to", serde_json::json!(report.to_string())),
        ("created_at", serde_json::json!(1)),
        ("total_size", serde_json::json!(1)),
    ] {
        lie(&|body| body["exchanges"][0][field] = value.clone());
        let changed = greffier
            .list(Mailbox::Inbox, ExchangeQuery::default())
            .await
            .unwrap();
        assert_eq!(
            states(&changed),
            [(signalement, false), (report, true)],
            "{field}"
        );
    }

    // A delivered row whose envelope is withheld is not « being sent »: it is unverified.
    lie(&|body| body["exchanges"][0]["envelope"] = serde_json::Value::Null);
    let withheld = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(withheld.rows[0].preview, Listed::Unverified);

    // A genuine envelope of the court's own outbox (a reply it sent, sealed to its key
    // too) slipped into its inbox does not read as received.
    let reply = w
        .greffier
        .session
        .send(
            &w.dept,
            vec![file("ordonnance.pdf", data(100, 4))],
            &options("Ordonnance"),
        )
        .await
        .unwrap();
    greffier
        .list(Mailbox::Outbox, ExchangeQuery::default())
        .await
        .unwrap();
    let outbox: serde_json::Value =
        serde_json::from_slice(&proxy.last_answer("/api/exchanges/outbox").unwrap()).unwrap();
    lie(&|body| {
        body["exchanges"]
            .as_array_mut()
            .unwrap()
            .push(outbox["exchanges"][0].clone());
        let senders = body["senders"].as_array_mut().unwrap();
        senders.extend(outbox["senders"].as_array().unwrap().iter().cloned());
    });
    let mirrored = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(
        states(&mirrored),
        [(signalement, true), (report, true), (reply, false)]
    );

    proxy.serve_canned(path, None);
    let again = greffier
        .list(Mailbox::Inbox, ExchangeQuery::default())
        .await
        .unwrap();
    assert_eq!(again, honest);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
