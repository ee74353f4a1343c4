//! The platform root, as the platform authority manages it (`pli-client`'s
//! `session/authority.rs`): where it is, saving it as a root file under a passphrase,
//! importing that file in another browser, and taking the copy an older set-up left on
//! the relay off it. Shown at the top of the platform page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::ErrorCode;
use wasm_bindgen_futures::JsFuture;

use super::ErrorBox;
use super::auth::{Messages, NewPassword, Submit, check_passwords, last_error};
use crate::app::{Ctx, me};
use crate::i18n::{fill, t};
use crate::protocol::{ExportRoot, ImportRoot, RootOffRelay, RootStatus, RootView, WorkerError};

/// A root file is a few hundred bytes: anything much larger is not one.
const MAX_ROOT_FILE: f64 = 16.0 * 1024.0;

/// The name the root file is saved under: the root's first fingerprint groups, so that
/// two platforms' files are not confused.
fn file_name(fingerprint: &str) -> String {
    let short: String = fingerprint
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join("")
        .to_lowercase();
    format!("pli-cle-racine-{short}.txt")
}

fn save_text(text: &str, name: &str) -> Result<(), WorkerError> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| WorkerError::new(ErrorCode::Io, format!("{e:?}")))?;
    super::save_blob(&blob, name)
}

/// The root card of the platform page.
#[component]
pub fn RootKeyCard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let account = me(&ctx);
    let totp_enabled = account.as_ref().is_some_and(|m| m.totp_enabled);
    let context: Vec<String> = account
        .map(|m| vec![m.email, m.display_name, m.org_name])
        .unwrap_or_default();
    let version = RwSignal::new(0_u32);
    let status = LocalResource::new(move || {
        version.track();
        crate::bridge::call(RootStatus)
    });
    let root = Signal::derive(move || status.get().and_then(Result::ok));
    let status_error = Signal::derive(move || status.get().and_then(Result::err));

    // Saving the root file.
    let passphrase = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let (saved_as, set_saved_as) = signal(None::<String>);
    let export: Submit<(String, String)> = Action::new_unsync({
        let context = context.clone();
        move |(phrase, again): &(String, String)| {
            let checked = check_passwords(phrase.clone(), again.clone(), context.clone());
            let request = ExportRoot {
                passphrase: phrase.clone(),
            };
            async move {
                checked.await?;
                let text = crate::bridge::call(request).await?;
                let fingerprint = root
                    .get_untracked()
                    .map(|r| r.fingerprint)
                    .unwrap_or_default();
                let name = file_name(&fingerprint);
                save_text(&text, &name)?;
                passphrase.set(String::new());
                repeat.set(String::new());
                set_saved_as.set(Some(name));
                version.update(|v| *v += 1);
                Ok(())
            }
        }
    });
    let on_export = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_saved_as.set(None);
        export.dispatch((passphrase.get_untracked(), repeat.get_untracked()));
    };

    // Importing a root file.
    let picked = RwSignal::new(None::<(String, String)>);
    let import_phrase = RwSignal::new(String::new());
    let (pick_error, set_pick_error) = signal(None::<WorkerError>);
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        picked.set(None);
        set_pick_error.set(None);
        let Some(file) = input.files().and_then(|list| list.get(0)) else {
            return;
        };
        if file.size() > MAX_ROOT_FILE {
            set_pick_error.set(Some(WorkerError::new(
                ErrorCode::RootFileInvalid,
                "too large",
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            match JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string())
            {
                Some(text) => picked.set(Some((file.name(), text))),
                None => set_pick_error.set(Some(WorkerError::new(
                    ErrorCode::RootFileInvalid,
                    "unreadable",
                ))),
            }
        });
    };
    let import: Submit<(String, String)> =
        Action::new_unsync(move |(text, phrase): &(String, String)| {
            let request = ImportRoot {
                text: text.clone(),
                passphrase: phrase.clone(),
            };
            async move {
                crate::bridge::call(request).await?;
                import_phrase.set(String::new());
                version.update(|v| *v += 1);
                Ok(())
            }
        });
    let on_import = move |ev: SubmitEvent| {
        ev.prevent_default();
        match picked.get_untracked() {
            Some((_, text)) => {
                import.dispatch((text, import_phrase.get_untracked()));
            }
            None => set_pick_error.set(Some(WorkerError::new(
                ErrorCode::RootFileInvalid,
                "no file",
            ))),
        }
    };

    // Taking the root off the relay (an account set up before it left the relay).
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let off: Submit<(String, Option<String>)> =
        Action::new_unsync(move |(password_now, totp): &(String, Option<String>)| {
            let request = RootOffRelay {
                password: password_now.clone(),
                totp: totp.clone(),
            };
            async move {
                crate::bridge::call(request).await?;
                password.set(String::new());
                code.set(String::new());
                version.update(|v| *v += 1);
                Ok(())
            }
        });
    let on_off = move |ev: SubmitEvent| {
        ev.prevent_default();
        let totp = Some(code.get_untracked()).filter(|c| !c.trim().is_empty());
        off.dispatch((password.get_untracked(), totp));
    };

    let state = move |r: RootView| {
        let (class, text, testid) = match (r.held, r.saved, r.on_relay) {
            (false, _, _) => ("alert warning", t!("root.absent"), "root-absent"),
            (true, false, _) => ("alert warning", t!("root.unsaved"), "root-unsaved"),
            (true, true, true) => ("alert warning", t!("root.on_relay"), "root-on-relay"),
            (true, true, false) => ("alert success", t!("root.ok"), "root-ok"),
        };
        view! { <p class=class data-testid=testid role="status">{text}</p> }
    };
    let export_form = move || {
        let RootView { held, saved, .. } = root.get()?;
        let form = view! {
            <form on:submit=on_export data-testid="root-export">
                <h3>{move || t!("root.export.title")}</h3>
                <p class="hint">{move || t!("root.export.help")}</p>
                <NewPassword password=passphrase repeat=repeat context=context.clone() passphrase=true />
                <Messages error=last_error(export) />
                <div class="actions">
                    <button type="submit" disabled=move || export.pending().get() data-testid="root-export-submit">
                        {move || t!("root.export.submit")}
                    </button>
                    <span role="status" class="ok">
                        {move || saved_as.get().map(|name| view! {
                            <span data-testid="root-saved">{move || fill(&t!("root.export.done"), &[("file", &name)])}</span>
                        })}
                    </span>
                </div>
            </form>
        };
        // Once saved, another copy is a click away rather than the page's first form.
        held.then(|| {
            if saved && saved_as.get_untracked().is_none() {
                view! {
                    <details class="root-copy">
                        <summary>{move || t!("root.export.again")}</summary>
                        {form}
                    </details>
                }
                .into_any()
            } else {
                form.into_any()
            }
        })
    };
    let import_form = move || {
        let held = root.get()?.held;
        (!held).then(|| view! {
            <form on:submit=on_import data-testid="root-import">
                <h3>{move || t!("root.import.title")}</h3>
                <div class="field">
                    <label for="root-file">{move || t!("root.import.file")}</label>
                    <input id="root-file" type="file" accept=".txt,text/plain" class="file-input"
                        data-testid="root-file" on:change=on_pick />
                    <p class="hint">{move || picked.get().map(|(name, _)| fill(&t!("root.import.picked"), &[("file", &name)]))}</p>
                </div>
                <div class="field">
                    <label for="root-import-passphrase">{move || t!("root.passphrase")}</label>
                    <input id="root-import-passphrase" type="password" autocomplete="off" required
                        prop:value=move || import_phrase.get()
                        on:input=move |ev| import_phrase.set(event_target_value(&ev)) />
                </div>
                <ErrorBox error=Signal::derive(move || pick_error.get().or_else(|| last_error(import).get())) />
                <button type="submit" class="primary" disabled=move || import.pending().get() data-testid="root-import-submit">
                    {move || t!("root.import.submit")}
                </button>
            </form>
        })
    };
    let off_form = move || {
        let r = root.get()?;
        (r.held && r.on_relay).then(|| view! {
            <form on:submit=on_off data-testid="root-off-relay">
                <h3>{move || t!("root.off.title")}</h3>
                <p class="hint">{move || t!("root.off.help")}</p>
                <div class="field">
                    <label for="root-off-password">{move || t!("login.password")}</label>
                    <input id="root-off-password" type="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {totp_enabled.then(|| view! {
                    <div class="field">
                        <label for="root-off-totp">{move || t!("login.totp")}</label>
                        <input id="root-off-totp" inputmode="numeric" autocomplete="one-time-code" class="short"
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    </div>
                })}
                <ErrorBox error=last_error(off) />
                <button type="submit" disabled=move || off.pending().get() || !r.saved data-testid="root-off-submit">
                    {move || t!("root.off.submit")}
                </button>
            </form>
        })
    };
    view! {
        <section class="card" aria-labelledby="root-title" data-testid="root-card">
            <h2 id="root-title">{move || t!("root.title")}</h2>
            <p class="hint">{move || t!("root.intro")}</p>
            {move || root.get().map(state)}
            <ErrorBox error=status_error />
            {export_form}
            {off_form}
            {import_form}
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_is_named_after_the_root() {
        assert_eq!(
            super::file_name("1A2B 3C4D 5E6F 7081 92A3 B4C5 D6E7 F809"),
            "pli-cle-racine-1a2b3c4d.txt"
        );
    }
}
