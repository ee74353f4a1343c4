//! Accessible dialogs and the re-authentication that sensitive actions ask for.
//!
//! [`Dialog`] is the native `<dialog>` opened as a modal: focus moves into it (to the
//! element marked `autofocus`) and stays there, the rest of the page is inert, Escape
//! closes it, and the element that opened it gets focus back. [`ConfirmDialog`] asks
//! before an action. [`Reauth`] retries an action after the relay answered
//! `reauth_required` (the password proof is older than five minutes) and
//! [`ReauthDialog`] asked for the password and the TOTP code again.

use js_sys::{Function, Promise};
use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use pli_api::ErrorCode;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::ErrorBox;
use crate::app::{Ctx, me};
use crate::i18n::{Key, t};
use crate::protocol::{Call, WorkerError};

/// A modal dialog named by the element whose id is `labelled_by` (its heading).
#[component]
pub fn Dialog(
    /// Shown while true; set back to false when the dialog closes (Escape included).
    open: RwSignal<bool>,
    /// Id of the heading that names the dialog.
    labelled_by: String,
    /// Called after the dialog closed, however it closed.
    #[prop(optional)]
    on_close: Option<Callback<()>>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let wanted = open.get();
        if let Some(dialog) = node.get() {
            if wanted && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !wanted && dialog.open() {
                dialog.close();
            }
        }
    });
    let closed = move |_| {
        open.set(false);
        if let Some(callback) = on_close {
            callback.run(());
        }
    };
    view! {
        <dialog node_ref=node class="modal" aria-labelledby=labelled_by on:close=closed>
            {children()}
        </dialog>
    }
}

/// Asks "are you sure?" before `on_confirm`; the body says what will happen.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    /// Prefix of the ids inside (`<id>-title`).
    id: &'static str,
    /// The question, as a heading.
    title: Signal<String>,
    /// Catalogue key of the confirm button.
    confirm: Key,
    /// A destructive action: red button, focus starts on "Cancel".
    #[prop(optional)]
    danger: bool,
    /// The confirm button is enabled only while this is true.
    #[prop(optional)]
    enabled: Option<Signal<bool>>,
    /// `data-testid` of the confirm button.
    #[prop(optional)]
    testid: &'static str,
    on_confirm: Callback<()>,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if enabled.is_some_and(|e| !e.get_untracked()) {
            return;
        }
        open.set(false);
        on_confirm.run(());
    };
    let class = if danger { "primary danger" } else { "primary" };
    view! {
        <Dialog open=open labelled_by=title_id.clone()>
            <form on:submit=submit>
                <h2 id=title_id>{move || title.get()}</h2>
                {children()}
                <div class="actions">
                    <button type="submit" class=class data-testid=testid
                        disabled=move || enabled.is_some_and(|e| !e.get())>
                        {move || t(confirm)}
                    </button>
                    <button type="button" autofocus=danger on:click=move |_| open.set(false)>
                        {move || t!("action.cancel")}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// Re-authentication for sensitive actions: [`Reauth::call`] asks the worker, and if the
/// relay wants a fresh password proof, opens the [`ReauthDialog`] and tries again.
#[derive(Debug, Clone, Copy)]
pub struct Reauth {
    open: RwSignal<bool>,
    /// Resolves the pending [`Reauth::ask`] with `true` (proved) or `false` (cancelled).
    waiting: StoredValue<Option<Function>, LocalStorage>,
}

impl Default for Reauth {
    fn default() -> Self {
        Self::new()
    }
}

impl Reauth {
    /// A gate with its dialog closed.
    pub fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            waiting: StoredValue::new_local(None),
        }
    }

    /// Opens the dialog and waits until the password was proved (`true`) or the person
    /// gave up (`false`).
    async fn ask(self) -> bool {
        self.settle(false);
        let mut resolve = None;
        let promise = Promise::new(&mut |res, _| resolve = Some(res));
        self.waiting.set_value(resolve);
        self.open.set(true);
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn settle(self, proved: bool) {
        let pending = self.waiting.try_update_value(Option::take).flatten();
        if let Some(resolve) = pending {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(proved));
        }
    }

    /// Asks the worker to do `op`, re-authenticating (at most twice) when the relay asks.
    /// Giving up yields the error code `cancelled`.
    pub async fn call<C: Call + Clone>(self, request: C) -> Result<C::Response, WorkerError> {
        for _ in 0..2 {
            match crate::bridge::call(request.clone()).await {
                Err(e) if e.code == ErrorCode::ReauthRequired => {
                    if !self.ask().await {
                        return Err(WorkerError::new(
                            ErrorCode::Cancelled,
                            "re-authentication cancelled",
                        ));
                    }
                }
                other => return other,
            }
        }
        crate::bridge::call(request).await
    }
}

/// Sets `error` unless the person cancelled (nothing to announce then).
pub fn report(error: WriteSignal<Option<WorkerError>>, e: WorkerError) {
    if e.code != ErrorCode::Cancelled {
        error.set(Some(e));
    }
}

/// An error of a form where only the password (and a code) was typed, not an address nor
/// an account key: a refused password says it is the password (with the attempts left).
pub fn password_only(error: WorkerError) -> WorkerError {
    if error.code == ErrorCode::InvalidCredentials {
        WorkerError {
            code: ErrorCode::WrongPassword,
            ..error
        }
    } else {
        error
    }
}

/// Moves focus to the element `id` once it is drawn (after an action's result appears).
pub fn focus_later(id: &'static str) {
    request_animation_frame(move || {
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
        {
            focus(element);
        }
    });
}

/// Moves focus to `element`, made focusable by script first if it is not (a heading).
pub fn focus(element: web_sys::Element) {
    if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
        if !element.has_attribute("tabindex") && element.tab_index() < 0 {
            let _ = element.set_attribute("tabindex", "-1");
        }
        let _ = element.focus();
    }
}

/// The password (and TOTP code) dialog of a [`Reauth`] gate.
#[component]
pub fn ReauthDialog(gate: Reauth) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let account = me(&ctx);
    let email = account
        .as_ref()
        .map(|m| m.email.clone())
        .unwrap_or_default();
    let with_totp = account.as_ref().is_some_and(|m| m.totp_enabled);
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let totp = code.get_untracked();
            let request = crate::protocol::Reauth {
                password: password.get_untracked(),
                totp: if totp.is_empty() { None } else { Some(totp) },
            };
            match crate::bridge::call(request).await {
                Ok(()) => {
                    gate.settle(true);
                    gate.open.set(false);
                }
                // Only the password was typed here: say that it is the password.
                Err(e) => set_error.set(Some(password_only(e))),
            }
            set_busy.set(false);
        });
    };
    let closed = Callback::new(move |()| {
        gate.settle(false);
        password.set(String::new());
        code.set(String::new());
        set_error.set(None);
    });
    view! {
        <Dialog open=gate.open labelled_by="reauth-title".to_owned() on_close=closed>
            <form on:submit=submit>
                <h2 id="reauth-title">{move || t!("reauth.title")}</h2>
                <p>{move || t!("reauth.help")}</p>
                <input type="email" autocomplete="username" hidden prop:value=email />
                <div class="field">
                    <label for="reauth-password">{move || t!("login.password")}</label>
                    <input id="reauth-password" type="password" autocomplete="current-password" required
                        autofocus data-testid="reauth-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {with_totp.then(|| view! {
                    <div class="field">
                        <label for="reauth-totp">{move || t!("login.totp")}</label>
                        <input id="reauth-totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
                            required data-testid="reauth-totp"
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    </div>
                })}
                <ErrorBox error=error />
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("login.deriving")}</p>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary" disabled=busy data-testid="reauth-submit">
                        {move || t!("action.confirm")}
                    </button>
                    <button type="button" on:click=move |_| gate.open.set(false)>
                        {move || t!("action.cancel")}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
