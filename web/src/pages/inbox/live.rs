//! The relay's server-sent events (`/api/events`), listened to for as long as a component
//! lives, and again after a log-in over the page.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use pli_api::ExchangeId;
use pli_api::endpoints::{Endpoint, Events};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::app::Ctx;

struct Live {
    source: web_sys::EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    _on_open: Closure<dyn FnMut()>,
}

thread_local! {
    static LIVE: RefCell<HashMap<u32, Live>> = RefCell::new(HashMap::new());
    static NEXT_LIVE: Cell<u32> = const { Cell::new(1) };
}

/// What a live event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveEvent {
    /// An event of one of the kinds asked for, about this exchange.
    Event(String, Option<ExchangeId>),
    /// The connection came back after a loss: events may have been missed.
    Reconnected,
}

/// Listens to the relay's events of `kinds` for as long as the calling component lives.
/// After a log-in over the page (the session had ended, and the relay closed its
/// stream), it listens again and reports [`LiveEvent::Reconnected`].
pub(crate) fn live_events(kinds: &[&str], on_event: impl Fn(LiveEvent) + 'static) {
    let on_event: Rc<dyn Fn(LiveEvent)> = Rc::new(on_event);
    let kinds: Vec<String> = kinds.iter().map(|kind| (*kind).to_owned()).collect();
    let id = NEXT_LIVE.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    connect(id, &kinds, on_event.clone(), false);
    if let Some(ctx) = use_context::<Ctx>() {
        Effect::new(move |previous: Option<u32>| {
            let restored = ctx.restored.get();
            if previous.is_some_and(|p| p != restored) {
                connect(id, &kinds, on_event.clone(), true);
            }
            restored
        });
    }
    on_cleanup(move || {
        if let Some(live) = LIVE.with(|live| live.borrow_mut().remove(&id)) {
            live.source.close();
        }
    });
}

/// Opens the event stream of listener `id` (closing the one it had), reporting
/// [`LiveEvent::Reconnected`] at its first opening when `again`.
fn connect(id: u32, kinds: &[String], on_event: Rc<dyn Fn(LiveEvent)>, again: bool) {
    let Ok(source) = web_sys::EventSource::new(&Endpoint::path(&Events {})) else {
        return;
    };
    let listeners = kinds
        .iter()
        .map(|kind| {
            let on_event = on_event.clone();
            let name = kind.clone();
            let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    let exchange = event
                        .data()
                        .as_string()
                        .and_then(|data| serde_json::from_str::<serde_json::Value>(&data).ok())
                        .and_then(|data| {
                            data.get("exchange_id")
                                .and_then(serde_json::Value::as_str)
                                .and_then(|id| id.parse().ok())
                        });
                    on_event(LiveEvent::Event(name.clone(), exchange));
                },
            );
            let _ =
                source.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            listener
        })
        .collect();
    let opened_before = Cell::new(again);
    let on_open = Closure::<dyn FnMut()>::new(move || {
        if opened_before.replace(true) {
            on_event(LiveEvent::Reconnected);
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    let previous = LIVE.with(|live| {
        live.borrow_mut().insert(
            id,
            Live {
                source,
                _listeners: listeners,
                _on_open: on_open,
            },
        )
    });
    if let Some(previous) = previous {
        previous.source.close();
    }
}
