//! The application shell: routing by the URL fragment (`#/inbox`, `#/exchange/<id>`…,
//! tokens of one-time links stay in the fragment and never reach the server), the
//! session state, the header and navigation.

use leptos::prelude::*;
use pli_api::messages::Me;

use crate::i18n::{self, Key, Lang, key, t};
use crate::pages;

pub use crate::model::route::Route;

/// Goes to `route`.
pub fn navigate(route: &Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.href());
    }
}

/// Whether the worker holds unlocked keys, and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Checking.
    Unknown,
    /// No session.
    Anonymous,
    /// A session cookie, but the keys are not unlocked (after a reload).
    Locked(Box<Me>),
    /// Unlocked.
    Ready(Box<Me>),
}

impl Auth {
    /// [`Auth::stage`] while checking.
    const UNKNOWN: u8 = 0;

    /// Which of the four states, without the account (a re-read account is no new page).
    fn stage(&self) -> u8 {
        match self {
            Self::Unknown => Self::UNKNOWN,
            Self::Anonymous => 1,
            Self::Locked(_) => 2,
            Self::Ready(_) => 3,
        }
    }
}

/// What every page can reach.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Current route.
    pub route: ReadSignal<Route>,
    /// Session state.
    pub auth: RwSignal<Auth>,
    /// The relay ended the session while a page was open: the password is asked again
    /// over the page, which stays as it was.
    pub session_ended: RwSignal<bool>,
    /// Counts the sessions opened again that way (pages retry what failed).
    pub restored: RwSignal<u32>,
}

/// The logged-in account, if the keys are unlocked.
pub fn me(ctx: &Ctx) -> Option<Me> {
    match ctx.auth.get() {
        Auth::Ready(me) => Some(*me),
        _ => None,
    }
}

fn current_route() -> Route {
    Route::parse(
        &web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default(),
    )
}

/// The whole interface. `entered`: started by the door once the keys were unlocked
/// ([`crate::door`]), so the focus moves to the page's main heading once it is drawn,
/// as after any log-in.
#[component]
pub fn App(entered: bool) -> impl IntoView {
    let ctx = frame(entered);
    crate::bridge::on_session_ended(move || {
        if matches!(ctx.auth.get_untracked(), Auth::Ready(_) | Auth::Locked(_)) {
            ctx.session_ended.set(true);
        }
    });
    view! {
        <Shell ctx=ctx body=body nav=true />
        <pages::auth::SessionEnded />
    }
}

/// The session state and its effects, shared by the whole interface ([`App`]) and the
/// login page's ([`crate::door`]): the route followed from the URL's fragment (until
/// the interface is taken down), the session asked of the worker (or the relay, after a
/// reload), the document's title and language, and the focus after a navigation.
pub(crate) fn frame(entered: bool) -> Ctx {
    let (route, set_route) = signal(current_route());
    let on_hash = window_event_listener_untyped("hashchange", move |_| {
        set_route.set(current_route());
    });
    on_cleanup(move || on_hash.remove());
    let auth = RwSignal::new(Auth::Unknown);
    let ctx = Ctx {
        route,
        auth,
        session_ended: RwSignal::new(false),
        restored: RwSignal::new(0),
    };
    provide_context(ctx);

    // After a reload, a cookie session may remain while the keys are gone.
    leptos::task::spawn_local(async move {
        let status: Result<Option<Me>, _> = crate::bridge::call(crate::protocol::Status).await;
        let state = match status {
            Ok(Some(me)) => Auth::Ready(Box::new(me)),
            _ => match crate::bridge::call(crate::protocol::Probe).await {
                Ok(me) => Auth::Locked(Box::new(me)),
                Err(_) => Auth::Anonymous,
            },
        };
        // The interface may have been taken down meanwhile (the door, stepping aside).
        auth.try_set(state);
    });

    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            if let Some(html) = document.document_element() {
                let _ = html.set_attribute("lang", i18n::lang().get().code());
            }
            document.set_title(&format!(
                "{} — {}",
                page_title(&route.get()),
                t!("app.name")
            ));
        }
    });

    // RGAA: after a navigation or a log-in (not on the first load, unless the door
    // started the interface for a log-in), focus moves to the new page's main heading,
    // so that a screen reader starts there and the next Tab is in it.
    Effect::new(move |previous: Option<(Route, u8)>| {
        let now = (route.get(), auth.with(Auth::stage));
        if let Some(previous) = previous
            && previous != now
            && (previous.1 != Auth::UNKNOWN || entered)
        {
            focus_main_heading();
        }
        now
    });
    ctx
}

/// The page's frame (skip link, header, footer) around `body`'s page for the route and
/// session state. `nav`: the header shows the navigation and the log-out button once
/// the keys are unlocked (the door's does not: it is about to step aside).
#[component]
pub(crate) fn Shell(ctx: Ctx, body: fn(Ctx) -> AnyView, nav: bool) -> impl IntoView {
    view! {
        <a class="skip" href="#main">{move || t!("nav.skip")}</a>
        <Header nav=nav />
        <main id="main" tabindex="-1">
            {move || body(ctx)}
        </main>
        <footer class="footer"><p>{move || t!("footer.security")}</p></footer>
    }
}

/// Moves the focus to the page's main heading (made focusable by script only), or to
/// `<main>` while the page has none yet; after the next frame, once the page is drawn.
fn focus_main_heading() {
    request_animation_frame(|| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let target = document
            .query_selector("main h1")
            .ok()
            .flatten()
            .or_else(|| document.get_element_by_id("main"));
        if let Some(element) = target {
            pages::dialog::focus(element);
        }
    });
}

fn page_title(route: &Route) -> String {
    match route {
        Route::Login => t!("login.title"),
        Route::Setup(_) => t!("setup.title"),
        Route::Invitation(_) => t!("invitation.title"),
        Route::Inbox => t!("nav.inbox"),
        Route::Outbox => t!("nav.outbox"),
        Route::Send(_) => t!("nav.send"),
        Route::Exchange(_) => t!("nav.inbox"),
        Route::Admin => t!("nav.admin"),
        Route::Platform => t!("nav.platform"),
        Route::Account => t!("nav.settings"),
        Route::Kit => t!("kit.title"),
    }
}

/// The page for the current route and session state.
fn body(ctx: Ctx) -> AnyView {
    let route = ctx.route.get();
    // A one-time link's page does not depend on the session: returning before reading
    // it keeps the page (and what is typed in it) when the first session check answers.
    match &route {
        Route::Setup(token) => {
            return view! { <pages::auth::Setup token=token.clone() /> }.into_any();
        }
        Route::Invitation(token) => {
            return view! { <pages::auth::Invitation token=token.clone() /> }.into_any();
        }
        _ => {}
    }
    match (route, ctx.auth.get()) {
        (_, Auth::Unknown) => {
            view! { <p class="loading" role="status">{move || t!("state.loading")}</p> }.into_any()
        }
        (_, Auth::Anonymous) => view! { <pages::auth::Login /> }.into_any(),
        (_, Auth::Locked(me)) => view! { <pages::auth::Unlock me=*me /> }.into_any(),
        // The kit comes before anything else, pending or not.
        (Route::Kit, Auth::Ready(_)) => view! { <pages::kit::KitPage /> }.into_any(),
        (route, Auth::Ready(me)) => {
            if me.status == pli_api::AccountStatus::Pending {
                return view! { <pages::auth::Pending /> }.into_any();
            }
            if me.must_enrol() && route != Route::Account {
                return view! { <pages::account::Account /> }.into_any();
            }
            match route {
                Route::Outbox => view! { <pages::inbox::Outbox /> }.into_any(),
                Route::Send(reply) => view! { <pages::compose::Compose reply=reply /> }.into_any(),
                Route::Exchange(id) => view! { <pages::exchange::ExchangeView id=id /> }.into_any(),
                Route::Admin => view! { <pages::admin::Admin /> }.into_any(),
                Route::Platform => view! { <pages::platform::Platform /> }.into_any(),
                Route::Account => view! { <pages::account::Account /> }.into_any(),
                _ if me.role == pli_api::Role::PlatformAdmin => {
                    view! { <pages::platform::Platform /> }.into_any()
                }
                _ => view! { <pages::inbox::Inbox /> }.into_any(),
            }
        }
    }
}

#[component]
fn Header(nav: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let switch = move |_| {
        i18n::choose_lang(if i18n::lang().get_untracked() == Lang::Fr {
            Lang::En
        } else {
            Lang::Fr
        });
    };
    let logout = move |_| {
        leptos::task::spawn_local(async move {
            if crate::pages::auth::log_out().await {
                return;
            }
            ctx.auth.set(Auth::Anonymous);
            navigate(&Route::Login);
        });
    };
    let shown = nav;
    let nav = move || {
        me(&ctx).filter(|_| shown).map(|me| {
            let member = me.role != pli_api::Role::PlatformAdmin && me.status == pli_api::AccountStatus::Active;
            let org_admin = me.role == pli_api::Role::OrgAdmin;
            let platform = me.role == pli_api::Role::PlatformAdmin;
            // Without the two-factor authentication they must have, people see the account
            // page whatever the address says.
            let gated = me.must_enrol();
            let link = move |route: Route, key: Key| {
                let href = route.href();
                let current = move || {
                    let shown = if gated { Route::Account } else { ctx.route.get() };
                    (shown == route).then_some("page")
                };
                view! { <li><a href=href aria-current=current>{move || t(key)}</a></li> }
            };
            view! {
                <nav aria-label=move || t!("nav.main")>
                    <ul>
                        {member.then(|| link(Route::Inbox, key!("nav.inbox")))}
                        {member.then(|| link(Route::Outbox, key!("nav.outbox")))}
                        {member.then(|| link(Route::Send(None), key!("nav.send")))}
                        {org_admin.then(|| link(Route::Admin, key!("nav.admin")))}
                        {platform.then(|| link(Route::Platform, key!("nav.platform")))}
                        {link(Route::Account, key!("nav.settings"))}
                    </ul>
                </nav>
                <p class="who">{me.display_name.clone()} " — " {me.org_name.clone()}</p>
                <button type="button" class="link" data-testid="logout" on:click=logout>{move || t!("nav.logout")}</button>
            }
        })
    };
    view! {
        <header class="header">
            <p class="brand"><span class="logo" aria-hidden="true">"✉"</span> {move || t!("app.name")}</p>
            {nav}
            <button type="button" class="link lang" data-testid="lang-switch" on:click=switch aria-label=move || t!("lang.switch.label")>
                {move || t!("lang.switch")}
            </button>
        </header>
    }
}
