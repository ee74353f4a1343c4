//! The login page's interface: what every visit loads first (issue 12: a first visit
//! fetches this module, not the whole interface's).
//!
//! A page load never finds unlocked keys: the worker that held them went with the page
//! before. So every visit starts at the login form, or at the unlock form when a session
//! cookie remains. The door draws the same frame as the whole interface (`app.rs`'s
//! [`frame`] and [`Shell`]), with these two forms only. Once the keys are unlocked, or
//! for a one-time link's page (which is the whole interface's), it asks `boot.js` to
//! enter (`window.pliEnter`): `boot.js` loads the whole interface's module, checked
//! against its SRI hash like every module, then calls [`crate::stop_door`], which takes
//! the door down and hands over the worker it started, and `start_app` with it. The
//! keys stay in that worker: nothing is asked twice.
//!
//! The door gives nothing to the app but the worker: the whole interface asks the
//! worker who is logged in, as after any start. A module that cannot be loaded (the
//! network, a changed file on the relay) leaves the door in place and `boot.js` says
//! that Pli could not start; a reload shows the unlock form.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::{JsCast as _, JsValue};

use crate::app::{Auth, Ctx, Route, Shell, frame};
use crate::i18n::t;
use crate::pages;

thread_local! {
    /// What [`unmount`] takes down: the mounted door (its owner, its effects, its
    /// listeners), as the type-erased handle Leptos returns.
    static MOUNTED: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
}

/// Mounts the door on the page's body.
pub fn mount() {
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    // For a log-in or an unlock, the whole interface's module loads while the worker
    // derives the keys, instead of after (not for a log-out of the unlock form).
    crate::bridge::on_request(|request| {
        if request.unlocks_keys() {
            call_boot("pliPrepare", None);
        }
    });
    let handle = mount_to(body, Door);
    MOUNTED.with(|mounted| *mounted.borrow_mut() = Some(Box::new(handle)));
}

/// Takes the door down: its elements leave the page, its effects and its route
/// listener end.
pub fn unmount() {
    let handle = MOUNTED.with(|mounted| mounted.borrow_mut().take());
    drop(handle);
}

#[component]
fn Door() -> impl IntoView {
    let ctx = frame(false);
    // Once: the way in is taken at most once per page.
    let entering = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(entered) = way_in(ctx) {
            if entering.get_value() {
                return;
            }
            entering.set_value(true);
            enter(entered);
        }
    });
    view! { <Shell ctx=ctx body=body nav=false /> }
}

/// Whether the whole interface takes over now, and if so whether it follows a log-in
/// (`Some(true)`: the focus moves to its heading) or a one-time link (`Some(false)`).
fn way_in(ctx: Ctx) -> Option<bool> {
    if matches!(ctx.route.get(), Route::Setup(_) | Route::Invitation(_)) {
        return Some(false);
    }
    matches!(ctx.auth.get(), Auth::Ready(_)).then_some(true)
}

/// The door's page for the session state: the login or unlock form; while it checks,
/// or while the whole interface loads, a status line.
fn body(ctx: Ctx) -> AnyView {
    if way_in(ctx).is_some() {
        return loading("entering");
    }
    match ctx.auth.get() {
        Auth::Anonymous => view! { <pages::auth::Login /> }.into_any(),
        Auth::Locked(me) => view! { <pages::auth::Unlock me=*me /> }.into_any(),
        Auth::Unknown | Auth::Ready(_) => loading("checking"),
    }
}

/// A status line; `stage` (`data-testid`) tells the browser tests whether the door is
/// still checking the session or already stepping aside.
fn loading(stage: &'static str) -> AnyView {
    view! { <p class="loading" role="status" data-testid=stage>{move || t!("state.loading")}</p> }
        .into_any()
}

/// Asks `boot.js` to load the whole interface and start it in the door's place. What
/// fails from there is `boot.js`'s to say: the door is gone or stays as it is.
fn enter(entered: bool) {
    call_boot("pliEnter", Some(entered));
}

/// Calls `boot.js`'s function `name` (on `window`), with `entered` if given.
fn call_boot(name: &str, entered: Option<bool>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(function) = Reflect::get(&window, &name.into()) else {
        return;
    };
    if let Some(function) = function.dyn_ref::<Function>() {
        let argument = entered.map_or(JsValue::UNDEFINED, JsValue::from_bool);
        let _ = function.call1(&JsValue::NULL, &argument);
    }
}
