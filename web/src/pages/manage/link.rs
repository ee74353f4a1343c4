//! The one-time link shown after an invitation or a reset, with a copy button.

use leptos::prelude::*;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{self, fill, t};

/// A one-time link to hand over, with a copy button.
#[component]
pub fn LinkBox(
    /// The link.
    link: String,
    /// When it expires (ms).
    expires_at: u64,
    /// The person it is for.
    name: String,
    /// The address it was e-mailed to (if the relay sends mail).
    email: String,
    /// `data-testid` of the link.
    testid: &'static str,
) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let for_copy = link.clone();
    let copy = move |_| {
        let text = for_copy.clone();
        leptos::task::spawn_local(async move {
            set_copied.set(copy_text(&text).await);
        });
    };
    let name_for_help = name.clone();
    view! {
        <div class="linkbox">
            <p class="linkbox-label">{move || fill(&t!("admin.link.label"), &[("name", &name)])}</p>
            <p><code class="link-output" data-testid=testid>{link}</code></p>
            <div class="actions">
                <button type="button" on:click=copy>{move || t!("admin.link.copy")}</button>
                <span role="status" class="ok">{move || copied.get().then(|| t!("admin.link.copied"))}</span>
            </div>
            <p class="hint">
                {move || fill(&t!("admin.link.help"), &[("name", &name_for_help), ("date", &i18n::datetime(expires_at))])}
            </p>
            <p class="hint">{move || fill(&t!("admin.link.mail"), &[("email", &email)])}</p>
        </div>
    }
}

/// Puts `text` on the clipboard; false if the browser refused.
async fn copy_text(text: &str) -> bool {
    use js_sys::{Function, Promise, Reflect};
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(clipboard) = Reflect::get(&window.navigator(), &"clipboard".into()) else {
        return false;
    };
    let write = Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(promise) = write
        .and_then(|f| f.call1(&clipboard, &text.into()).ok())
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return false;
    };
    JsFuture::from(promise).await.is_ok()
}
