//! Logging in: the login form, unlocking the keys after a reload (the session lives on,
//! the keys in the worker's memory did not), and logging in again over the page when the
//! relay ended the session. Logging in is two steps when the account has two-factor
//! authentication: the code is asked once the relay says it is required.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_api::messages::{ProConnectFailure, ProConnectInfo};

use super::super::dialog::Dialog;
use super::{ErrorBox, Messages, Submit, after_login, last_error};
use crate::app::{Auth, Ctx, Route, navigate};
use crate::i18n::t;
use crate::protocol;

/// What the person typed to log in.
#[derive(Clone)]
struct Credentials {
    email: String,
    password: String,
    account_key: String,
    totp: String,
}

impl Credentials {
    fn request(self) -> protocol::Login {
        protocol::Login {
            email: self.email,
            password: self.password,
            account_key: (!self.account_key.trim().is_empty()).then_some(self.account_key),
            totp: (!self.totp.is_empty()).then_some(self.totp),
        }
    }
}

/// Logs `email` in with a passkey: the relay's options for that address, the browser's
/// ceremony (with the PRF extension), then the worker, which unlocks the keys with what
/// the passkey gave. No address is `bad_request` before anything is asked.
async fn passkey_login(email: String) -> Result<protocol::SignedIn, protocol::WorkerError> {
    let email = email.trim().to_owned();
    if email.is_empty() {
        return Err(protocol::WorkerError::new(
            ErrorCode::BadRequest,
            "no address",
        ));
    }
    let ceremony = crate::bridge::call(protocol::PasskeyLoginBegin {
        email: email.clone(),
    })
    .await?;
    let asserted = crate::passkey::assert(&ceremony.options).await?;
    crate::bridge::call(protocol::PasskeyLogin {
        email,
        ceremony: ceremony.ceremony,
        answer: asserted.json,
        credential_id: asserted.credential_id,
        prf: asserted.prf,
    })
    .await
}

/// What a passkey login that failed says, under its button: the address is missing, the
/// browser found no passkey of the account (or the person cancelled: the browser does
/// not tell them apart), or the error itself.
fn passkey_outcome(error: Signal<Option<protocol::WorkerError>>) -> impl IntoView {
    move || {
        match error.get() {
        Some(e) if e.code == ErrorCode::BadRequest => Some(
            view! {
                <p class="alert warning" role="alert" data-testid="login-passkey-email">{move || t!("login.passkey.email")}</p>
            }
            .into_any(),
        ),
        Some(e) if e.code == ErrorCode::Cancelled => Some(
            view! {
                <p class="alert warning" role="alert" data-testid="login-passkey-none">{move || t!("login.passkey.none")}</p>
            }
            .into_any(),
        ),
        Some(_) => Some(view! { <ErrorBox error=error /> }.into_any()),
        None => None,
    }
    }
}

/// Whether a field is asked: from the run of `action` answered with one of `codes`
/// until one succeeds (the two-factor code, the account key).
pub(super) fn asked_after<I: Send + Sync + 'static>(
    action: Submit<I>,
    codes: &'static [ErrorCode],
) -> Memo<bool> {
    Memo::new(move |before: Option<&bool>| {
        action.value().with(|v| match v {
            Some(Ok(())) => false,
            Some(Err(e)) if codes.contains(&e.code) => true,
            _ => before.copied().unwrap_or(false),
        })
    })
}

/// The account key is asked when this browser lacks it, or it was mistyped.
const ACCOUNT_KEY_ASKED: &[ErrorCode] = &[
    ErrorCode::AccountKeyNeeded,
    ErrorCode::AccountKeyTypo,
    ErrorCode::PasswordOnlyEnded,
];

/// The two-factor code is asked when the relay says it is required.
pub(super) const TOTP_ASKED: &[ErrorCode] = &[ErrorCode::TotpRequired];

/// The account key field, shown once asked: typed from the kit de secours, once per
/// device.
fn account_key_field(id: &'static str, asked: Memo<bool>, key: RwSignal<String>) -> impl IntoView {
    let help = format!("{id}-help");
    view! {
        <Show when=move || asked.get()>
            <div class="field">
                <label for=id>{move || t!("login.account_key")}</label>
                <input id=id data-testid=id class="account-key" autocomplete="off" spellcheck="false"
                    autocapitalize="characters" required aria-describedby=help.clone()
                    placeholder="PLI1-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX"
                    prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
                <p id=help.clone() class="hint">{move || t!("login.account_key.help")}</p>
            </div>
        </Show>
    }
}

/// The two-factor code field, shown once asked.
pub(super) fn totp_field(
    id: &'static str,
    asked: impl Into<Signal<bool>>,
    code: RwSignal<String>,
) -> impl IntoView {
    let asked: Signal<bool> = asked.into();
    view! {
        <Show when=move || asked.get()>
            <div class="field">
                <label for=id>{move || t!("login.totp")}</label>
                <input id=id inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            </div>
        </Show>
    }
}

/// Why the last ProConnect sign-in did not go through, from the page's address
/// (`#/login?proconnect=<word>`, where the relay sends the browser back).
fn proconnect_failure() -> Option<ProConnectFailure> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let (_, word) = hash.split_once("proconnect=")?;
    word.split('&').next()?.parse().ok()
}

/// ProConnect on the login page: why the last sign-in failed, if it did; the button, if
/// the relay offers it and this browser has not signed in yet; or, once it has, who
/// ProConnect vouched for (the address to unlock is theirs, not typed).
/// Where « S'identifier avec ProConnect » goes: a top-level navigation (the relay sends
/// the browser on to ProConnect).
pub(super) fn proconnect_start() -> String {
    use pli_api::endpoints::Endpoint as _;
    pli_api::endpoints::ProConnectStart {}.path()
}

fn proconnect_panel(info: ReadSignal<Option<ProConnectInfo>>) -> impl IntoView {
    let failure = proconnect_failure();
    let start = proconnect_start();
    view! {
        {failure.map(|failure| view! {
            <div class="alert error" role="alert" data-testid="proconnect-failure"
                data-failure=failure.as_str()>
                <p><strong>{move || t!("proconnect.failure.title")}</strong></p>
                <p>{move || crate::i18n::t(crate::i18n::proconnect_failure(failure))}</p>
            </div>
        })}
        {move || info.get().and_then(|info| match info.identity {
            Some(who) => Some(view! {
                <div class="proconnect-who" data-testid="proconnect-identity">
                    <h2>{move || t!("proconnect.signed_in.title")}</h2>
                    <p class="who"><strong>{format!("{} {}", who.given_name, who.usual_name)}</strong>
                        " — " {who.email.clone()}</p>
                    <p class="hint">{move || t!("proconnect.siret")} " " {who.siret.to_string()}</p>
                    {if who.invited {
                        view! { <p class="alert warning" data-testid="proconnect-invited">{move || t!("proconnect.invited")}</p> }.into_any()
                    } else {
                        view! { <p>{move || t!("proconnect.signed_in.help")}</p> }.into_any()
                    }}
                    <p class="hint"><a href=start.clone() data-testid="proconnect-again">{move || t!("proconnect.not_me")}</a></p>
                </div>
            }.into_any()),
            None if info.available => Some(view! {
                <div class="proconnect">
                    <a class="proconnect-button" href=start.clone() data-testid="proconnect-start">
                        {move || t!("proconnect.button")}
                    </a>
                    <p class="hint">
                        <a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener noreferrer">
                            {move || t!("proconnect.what")}
                        </a>
                        " " {move || t!("proconnect.help")}
                    </p>
                    <p class="hint">{move || t!("login.or")}</p>
                </div>
            }.into_any()),
            None => None,
        })}
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let email = RwSignal::new(String::new());
    // Whether the relay offers ProConnect, and whether this browser just signed in with
    // it: then the address is ProConnect's account's, and the form only unlocks.
    let (proconnect, set_proconnect) = signal(None::<ProConnectInfo>);
    leptos::task::spawn_local(async move {
        if let Ok(info) = crate::bridge::call(protocol::ProConnectStatus).await {
            if let Some(who) = &info.identity {
                email.set(who.email.clone());
            }
            set_proconnect.set(Some(info));
        }
    });
    let vouched = move || proconnect.with(|i| i.as_ref().is_some_and(|i| i.identity.is_some()));
    let password = RwSignal::new(String::new());
    let totp = RwSignal::new(String::new());
    let account_key = RwSignal::new(String::new());
    let login: Submit<Credentials> = Action::new_unsync(move |typed: &Credentials| {
        let request = typed.clone().request();
        async move {
            let signed = crate::bridge::call(request).await?;
            after_login(ctx, signed);
            Ok(())
        }
    });
    let error = last_error(login);
    let asked = asked_after(login, TOTP_ASKED);
    let key_asked = asked_after(login, ACCOUNT_KEY_ASKED);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        login.dispatch(Credentials {
            email: email.get_untracked(),
            password: password.get_untracked(),
            account_key: account_key.get_untracked(),
            totp: totp.get_untracked(),
        });
    };
    let busy = login.pending();
    // The passkey way: the address first (whose passkeys to ask for), then the browser's
    // ceremony; the worker unlocks the keys with what the passkey gives.
    let with_passkey: Submit<String> = Action::new_unsync(move |email: &String| {
        let email = email.clone();
        async move {
            after_login(ctx, passkey_login(email).await?);
            Ok(())
        }
    });
    let passkey_error = last_error(with_passkey);
    let passkey_busy = with_passkey.pending();
    view! {
        <section class="card narrow">
            <h1>{move || t!("login.title")}</h1>
            <p class="lead">{move || t!("app.tagline")}</p>
            {proconnect_panel(proconnect)}
            <form on:submit=submit>
                <div class="field">
                    <label for="login-email">{move || t!("login.email")}</label>
                    <input id="login-email" type="email" autocomplete="username" required
                        readonly=vouched
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="login-password">{move || t!("login.password")}</label>
                    <input id="login-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {account_key_field("login-account-key", key_asked, account_key)}
                {totp_field("login-totp", asked, totp)}
                <Messages error=error />
                {move || error.get().filter(|e| e.code == ErrorCode::InvalidCredentials).map(|_| view! {
                    <p class="hint" data-testid="forgot-password">{move || t!("login.forgot")}</p>
                })}
                <button type="submit" class="primary" disabled=busy>{move || t!("login.submit")}</button>
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("login.deriving")}</p>
                </Show>
            </form>
            <div class="passkey-login">
                <p class="hint">{move || t!("login.or")}</p>
                <button type="button" data-testid="login-passkey" disabled=passkey_busy
                    on:click=move |_| { with_passkey.dispatch(email.get_untracked()); }>
                    {move || t!("login.passkey")}
                </button>
                {passkey_outcome(passkey_error)}
            </div>
        </section>
    }
}

#[component]
pub fn Unlock(me: pli_api::messages::Me) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let password = RwSignal::new(String::new());
    let account_key = RwSignal::new(String::new());
    let unlock: Submit<(String, String)> =
        Action::new_unsync(move |(password, key): &(String, String)| {
            let request = protocol::Unlock {
                password: password.clone(),
                account_key: (!key.trim().is_empty()).then(|| key.clone()),
            };
            async move {
                let me = crate::bridge::call(request).await?;
                ctx.auth.set(Auth::Ready(Box::new(me)));
                Ok(())
            }
        });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        unlock.dispatch((password.get_untracked(), account_key.get_untracked()));
    };
    let other = move |_| {
        leptos::task::spawn_local(async move {
            if super::log_out().await {
                return;
            }
            ctx.auth.set(Auth::Anonymous);
        });
    };
    // A passkey unlocks too (a new session is opened with it).
    let address = me.email.clone();
    let with_passkey: Submit<()> = Action::new_unsync(move |(): &()| {
        let email = address.clone();
        async move {
            let signed = passkey_login(email).await?;
            ctx.auth.set(Auth::Ready(Box::new(signed.me)));
            Ok(())
        }
    });
    let passkey_error = last_error(with_passkey);
    view! {
        <section class="card narrow">
            <h1>{move || t!("unlock.title")}</h1>
            <p>{move || t!("unlock.help")}</p>
            <p class="who"><strong>{me.display_name.clone()}</strong> " — " {me.email.clone()}</p>
            <form on:submit=submit>
                <input type="email" autocomplete="username" hidden prop:value=me.email.clone() />
                <div class="field">
                    <label for="unlock-password">{move || t!("login.password")}</label>
                    <input id="unlock-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {account_key_field("unlock-account-key", asked_after(unlock, ACCOUNT_KEY_ASKED), account_key)}
                <Messages error=last_error(unlock) />
                <button type="submit" class="primary" disabled=unlock.pending()>{move || t!("unlock.submit")}</button>
            </form>
            <div class="passkey-login">
                <p class="hint">{move || t!("login.or")}</p>
                <button type="button" data-testid="unlock-passkey" disabled=with_passkey.pending()
                    on:click=move |_| { with_passkey.dispatch(()); }>
                    {move || t!("unlock.passkey")}
                </button>
                {passkey_outcome(passkey_error)}
            </div>
            <button type="button" class="link" on:click=other>{move || t!("unlock.other")}</button>
        </section>
    }
}

/// Asked over the page when the relay ended the session (logged out elsewhere, timed
/// out, access removed): the password (and TOTP code) opens a new session for the same
/// account and the page stays as it was, its forms filled in; whatever failed can be
/// done again. Another account can log in instead, from the login page.
#[component]
pub fn SessionEnded() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = ctx.session_ended;
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let who = move || match ctx.auth.get() {
        Auth::Ready(me) | Auth::Locked(me) => Some(*me),
        _ => None,
    };
    let relogin: Submit<Credentials> = Action::new_unsync(move |typed: &Credentials| {
        let request = typed.clone().request();
        async move {
            let me = crate::bridge::call(request).await?.me;
            password.set(String::new());
            code.set(String::new());
            // The same account as before: leave the page untouched. (Compared by who it is,
            // not field by field: a log-in changes what the account carries, such as the
            // checkpoint of the key directory's log it verified last.)
            let same = |m: &pli_api::messages::Me| {
                m.user_id == me.user_id && m.role == me.role && m.status == me.status
            };
            if !matches!(ctx.auth.get_untracked(), Auth::Ready(ref m) if same(m)) {
                ctx.auth.set(Auth::Ready(Box::new(me)));
            }
            open.set(false);
            ctx.restored.update(|n| *n += 1);
            Ok(())
        }
    });
    let error = last_error(relogin);
    let asked = asked_after(relogin, TOTP_ASKED);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(before) = who() {
            relogin.dispatch(Credentials {
                email: before.email,
                password: password.get_untracked(),
                account_key: String::new(),
                totp: code.get_untracked(),
            });
        }
    };
    let other = move |_| {
        leptos::task::spawn_local(async move {
            if super::log_out().await {
                return;
            }
            open.set(false);
            ctx.auth.set(Auth::Anonymous);
            navigate(&Route::Login);
        });
    };
    // Closing the dialog forgets the last attempt's message.
    let closed = Callback::new(move |()| relogin.value().set(None));
    let busy = relogin.pending();
    view! {
        <Dialog open=open labelled_by="session-ended-title".to_owned() on_close=closed>
            <form on:submit=submit data-testid="session-ended">
                <h2 id="session-ended-title">{move || t!("session.ended.title")}</h2>
                <p>{move || t!("session.ended.help")}</p>
                {move || who().map(|me| view! {
                    <p class="who"><strong>{me.display_name.clone()}</strong> " — " {me.email.clone()}</p>
                })}
                <input type="email" autocomplete="username" hidden
                    prop:value=move || who().map(|me| me.email).unwrap_or_default() />
                <div class="field">
                    <label for="relogin-password">{move || t!("login.password")}</label>
                    <input id="relogin-password" type="password" autocomplete="current-password" required
                        autofocus prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {totp_field("relogin-totp", asked, code)}
                {move || match error.get() {
                    // Not a mistake: the code is simply asked for now.
                    Some(e) if e.code == ErrorCode::TotpRequired => Some(view! {
                        <p class="hint" role="status">{move || crate::i18n::error(ErrorCode::TotpRequired)}</p>
                    }.into_any()),
                    Some(e) if e.code == ErrorCode::InvalidCredentials => Some(view! {
                        <div class="alert error" role="alert" data-testid="relogin-refused">
                            <p>{move || t!("session.ended.refused")}</p>
                        </div>
                    }.into_any()),
                    // The service requires ProConnect: its button (the page is left for it).
                    Some(e) if e.code == ErrorCode::ProConnectRequired => Some(view! {
                        <div class="alert warning" role="alert">
                            <p>{move || crate::i18n::error(ErrorCode::ProConnectRequired)}</p>
                            <a class="proconnect-button" href=proconnect_start()>{move || t!("proconnect.button")}</a>
                        </div>
                    }.into_any()),
                    Some(_) => Some(view! { <ErrorBox error=error /> }.into_any()),
                    None => None,
                }}
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("login.deriving")}</p>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary" disabled=busy data-testid="relogin-submit">
                        {move || t!("session.ended.submit")}
                    </button>
                    <button type="button" class="link" data-testid="relogin-other" on:click=other>
                        {move || t!("session.ended.other")}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
