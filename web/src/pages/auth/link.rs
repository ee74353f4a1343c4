//! The pages one-time links open: setting up the platform (the first administrator) and
//! accepting an invitation or a reset. The link's token is looked up first (a
//! [`LocalResource`]: an expired or used link says so before anything is typed); the form
//! then creates the keys in the worker and seals them with the password chosen.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::messages::InvitationInfo;
use pli_api::{ErrorCode, InvitationKind};

use super::login::{TOTP_ASKED, asked_after, totp_field};
use super::{ErrorBox, Messages, NewPassword, Submit, after_login, check_passwords, last_error};
use crate::app::Ctx;
use crate::i18n::{fill, key, t};
use crate::protocol::{self, WorkerError};

/// The error to show: the last submission's, else the link's own.
fn shown<T: Clone + Send + Sync + 'static, I: Send + Sync + 'static>(
    lookup: LocalResource<Result<T, WorkerError>>,
    submit: Submit<I>,
) -> Signal<Option<WorkerError>> {
    let submitted = last_error(submit);
    Signal::derive(move || {
        submitted
            .get()
            .or_else(|| lookup.get().and_then(Result::err))
    })
}

/// What a cut link's page says instead of a form: the link is incomplete, not used.
fn incomplete_link(title: crate::i18n::Key) -> AnyView {
    view! {
        <section class="card narrow">
            <h1>{move || t(title)}</h1>
            <div class="alert error" role="alert" data-testid="link-incomplete">
                <p>{move || t!("link.incomplete")}</p>
            </div>
        </section>
    }
    .into_any()
}

/// The typed parts of the set-up form.
#[derive(Clone)]
struct SetupForm {
    name: String,
    email: String,
    password: String,
    repeat: String,
}

#[component]
pub fn Setup(token: String) -> impl IntoView {
    if !crate::model::route::link_complete(&token) {
        return incomplete_link(key!("setup.title"));
    }
    let ctx = expect_context::<Ctx>();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let lookup = {
        let token = token.clone();
        LocalResource::new(move || {
            let request = protocol::LookupSetup {
                token: token.clone(),
            };
            crate::bridge::call(request)
        })
    };
    let policy = LocalResource::new(|| crate::bridge::call(protocol::LogPolicyPreview));
    // The platform's own name is among the words the rule always counts.
    let context = Signal::derive(move || vec![email.get(), name.get()]);
    let setup: Submit<SetupForm> = Action::new_unsync(move |form: &SetupForm| {
        let checked = check_passwords(
            form.password.clone(),
            form.repeat.clone(),
            vec![form.email.clone(), form.name.clone()],
        );
        let request = protocol::Setup {
            token: token.clone(),
            email: form.email.clone(),
            display_name: form.name.clone(),
            password: form.password.clone(),
        };
        async move {
            checked.await?;
            let signed = crate::bridge::call(request).await?;
            after_login(ctx, signed);
            Ok(())
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        setup.dispatch(SetupForm {
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            repeat: repeat.get_untracked(),
        });
    };
    let busy = setup.pending();
    view! {
        <section class="card narrow">
            <h1>{move || t!("setup.title")}</h1>
            <p>{move || t!("setup.help")}</p>
            // A used link shows no form: the platform is most likely set up already.
            {move || lookup.get().and_then(Result::err).map(|e| if e.code == ErrorCode::InvitationInvalid {
                view! {
                    <div class="alert warning" role="alert" data-testid="setup-used">
                        <p>{move || t!("setup.used")}</p>
                        <p><a href=crate::app::Route::Login.href()>{move || t!("setup.used.login")}</a></p>
                    </div>
                }.into_any()
            } else {
                view! { <ErrorBox error=Signal::derive(move || Some(e.clone())) /> }.into_any()
            })}
            <Show when=move || lookup.get().is_some_and(|r| r.is_ok())>
            {move || policy.get().and_then(Result::ok).map(log_policy)}
            <form on:submit=submit>
                <div class="field">
                    <label for="setup-name">{move || t!("setup.name")}</label>
                    <input id="setup-name" autocomplete="name" required
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="setup-email">{move || t!("login.email")}</label>
                    <input id="setup-email" type="email" autocomplete="username" required
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
                </div>
                <NewPassword password=password repeat=repeat context=context />
                <Messages error=last_error(setup) />
                <button type="submit" class="primary" disabled=busy>{move || t!("setup.submit")}</button>
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("setup.generating")}</p>
                </Show>
            </form>
            </Show>
        </section>
    }
    .into_any()
}

/// What the invitation form sends: the password twice, the platform root's fingerprint
/// (from the link, or typed in), and for a reset that keeps the account's two-factor
/// authentication, a current code of it.
#[derive(Clone)]
struct AcceptForm {
    password: String,
    repeat: String,
    root: String,
    totp: String,
}

#[component]
pub fn Invitation(token: String) -> impl IntoView {
    if !crate::model::route::link_complete(&token) {
        return incomplete_link(key!("invitation.title"));
    }
    let ctx = expect_context::<Ctx>();
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let totp = RwSignal::new(String::new());
    // The link written by the administrator's client carries the root it trusts; the
    // relay's own (in its e-mail) does not, and the person types what the administrator
    // reads them.
    let (token, linked_root) = match token.split_once("?root=") {
        Some((token, root)) => (token.to_owned(), Some(root.to_owned())),
        None => (token, None),
    };
    let typed_root = RwSignal::new(String::new());
    let lookup = {
        let token = token.clone();
        LocalResource::new(move || {
            let request = protocol::LookupInvitation {
                token: token.clone(),
            };
            crate::bridge::call(request)
        })
    };
    let info = move || lookup.get().and_then(Result::ok);
    // What the worker will check the password against: the invitation's address, name
    // and organisation.
    let context = Signal::derive(move || {
        info()
            .map(|i| vec![i.email, i.display_name, i.org_name.unwrap_or_default()])
            .unwrap_or_default()
    });
    // Where the service requires ProConnect, the link is accepted right after signing in
    // with it as this address (then back here, from the link).
    let proconnect = LocalResource::new(|| crate::bridge::call(protocol::ProConnectStatus));
    let accept: Submit<AcceptForm> = Action::new_unsync(move |form: &AcceptForm| {
        let checked = check_passwords(
            form.password.clone(),
            form.repeat.clone(),
            context.get_untracked(),
        );
        let request = protocol::Accept {
            token: token.clone(),
            password: form.password.clone(),
            root: form.root.clone(),
            totp: (!form.totp.trim().is_empty()).then(|| form.totp.trim().to_owned()),
        };
        async move {
            checked.await?;
            let signed = crate::bridge::call(request).await.inspect_err(|e| {
                // The sign-in expired or was spent: read it again, and the button shows.
                if matches!(
                    e.code,
                    ErrorCode::ProConnectRequired | ErrorCode::ProConnectMismatch
                ) {
                    proconnect.refetch();
                }
            })?;
            after_login(ctx, signed);
            Ok(())
        }
    });
    let root_asked = linked_root.is_none();
    // A reset keeps the account's second factor: the code is asked from the start when
    // the link's lookup says so, or once the relay does (as the login form asks it).
    let relay_asked = asked_after(accept, TOTP_ASKED);
    let totp_asked = Signal::derive(move || {
        relay_asked.get() || info().is_some_and(|i: InvitationInfo| i.totp_required)
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        accept.dispatch(AcceptForm {
            password: password.get_untracked(),
            repeat: repeat.get_untracked(),
            root: linked_root
                .clone()
                .unwrap_or_else(|| typed_root.get_untracked()),
            totp: totp.get_untracked(),
        });
    };
    let intro = move || {
        info().filter(|i| !i.service).map(|i: InvitationInfo| {
            let org = i.org_name.clone().unwrap_or_default();
            let text = if i.kind == InvitationKind::Reset {
                fill(&t!("invitation.reset"), &[("org", &org)])
            } else {
                fill(
                    &t!("invitation.intro"),
                    &[("org", &org), ("role", &t(crate::i18n::role(i.role)))],
                )
            };
            view! {
                <p>{text}</p>
                <p class="who"><strong>{i.display_name.clone()}</strong> " — " {i.email.clone()}</p>
                {i.totp_required.then(|| view! {
                    <p data-testid="invitation-totp-kept">{move || t!("invitation.reset.totp")}</p>
                })}
            }
        })
    };
    let busy = accept.pending();
    let identity = move || {
        proconnect
            .get()
            .and_then(Result::ok)
            .and_then(|p| p.identity)
    };
    let vouched = move || {
        identity()
            .zip(info())
            .filter(|(who, i)| who.email == i.email)
            .map(|(who, _)| who)
    };
    // Signed in with ProConnect as someone else (another address).
    let elsewhere = move || {
        identity()
            .zip(info())
            .filter(|(who, i)| i.proconnect_required && who.email != i.email)
            .map(|(who, _)| who.email)
    };
    let gated = move || info().is_some_and(|i| i.proconnect_required) && vouched().is_none();
    let start = super::login::proconnect_start();
    view! {
        <section class="card narrow">
            <h1>{move || {
                let reset = info().is_some_and(|i| i.kind == InvitationKind::Reset);
                if reset { t!("invitation.reset.title") } else { t!("invitation.title") }
            }}</h1>
            {intro}
            // A service account's link is for `pli service enrol`, on the program's machine.
            {move || info().filter(|i| i.service).map(|i| view! {
                <p class="hint" data-testid="invitation-service">
                    {fill(&t!("invitation.service"), &[
                        ("name", &i.display_name),
                        ("org", &i.org_name.clone().unwrap_or_default()),
                    ])}
                </p>
            })}
            <Show when=gated>
                <div class="alert warning" role="note" data-testid="invitation-proconnect">
                    <p>{move || t!("invitation.proconnect")}</p>
                    {move || elsewhere().map(|email| view! {
                        <p data-testid="invitation-proconnect-elsewhere">
                            {fill(&t!("invitation.proconnect.elsewhere"), &[("email", &email)])}
                        </p>
                    })}
                    <a class="proconnect-button" href=start.clone()>{move || t!("proconnect.button")}</a>
                </div>
            </Show>
            {move || vouched().map(|who| view! {
                <p class="hint" data-testid="invitation-proconnect-done">
                    {fill(&t!("invitation.proconnect.done"), &[("name", &format!("{} {}", who.given_name, who.usual_name))])}
                </p>
            })}
            <Show when=move || info().is_some_and(|i| !i.service) && !gated()>
                <form on:submit=submit.clone()>
                    <input type="email" autocomplete="username" hidden prop:value=move || info().map(|i| i.email).unwrap_or_default() />
                    {root_asked.then(|| view! {
                        <div class="field">
                            <label for="invitation-root">{move || t!("invitation.root")}</label>
                            <input id="invitation-root" data-testid="invitation-root" autocomplete="off"
                                spellcheck="false" required aria-describedby="invitation-root-help"
                                placeholder="XXXX XXXX XXXX XXXX XXXX XXXX XXXX XXXX"
                                prop:value=move || typed_root.get()
                                on:input=move |ev| typed_root.set(event_target_value(&ev)) />
                            <p id="invitation-root-help" class="hint">{move || t!("invitation.root.help")}</p>
                        </div>
                    })}
                    <NewPassword password=password repeat=repeat context=context />
                    {totp_field("invitation-totp", totp_asked, totp)}
                    <button type="submit" class="primary" disabled=busy>{move || t!("invitation.submit")}</button>
                    <Show when=move || busy.get()>
                        <p role="status" class="hint">{move || t!("setup.generating")}</p>
                    </Show>
                </form>
            </Show>
            <Messages error=shown(lookup, accept) />
        </section>
    }
    .into_any()
}

/// The transparency log's policy the platform authority is about to sign: the witnesses
/// every browser will require, with their key fingerprints to check with their operators.
fn log_policy(policy: protocol::LogPolicyView) -> impl IntoView {
    let total = policy.witnesses.len();
    let quorum = policy.quorum;
    let none = policy.witnesses.is_empty();
    let witnesses = policy
        .witnesses
        .into_iter()
        .map(|(name, fingerprint)| {
            view! { <li><strong>{name}</strong> " — " <code>{fingerprint}</code></li> }
        })
        .collect_view();
    view! {
        <section class="log-policy" data-testid="log-policy">
            <h2>{move || t!("setup.log.title")}</h2>
            <p>{move || t!("setup.log.help")}</p>
            {(!none).then(|| view! {
                <p>{move || t!("setup.log.quorum")} " " <strong>{format!("{quorum} / {total}")}</strong></p>
                <ul>{witnesses}</ul>
            })}
            {none.then(|| view! {
                <div class="alert warning" role="note"><p>{move || t!("setup.log.none")}</p></div>
            })}
        </section>
    }
}
