//! The files of a send: a drop zone with a file input inside, the list of files picked
//! (each removable), and a live notice of what changed. While a send runs the fieldset
//! is disabled and drops are refused.

use leptos::ev::DragEvent;
use leptos::prelude::*;

use super::form::Form;
use crate::i18n::{self, fill, t, tn};

/// The files fieldset. `sending` locks it; `edited` is called when the files change.
pub(super) fn field(
    form: Form,
    sending: Signal<bool>,
    edited: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let drag_depth = StoredValue::new(0i32);

    let add_files = move |list: web_sys::FileList| {
        let files = (0..list.length()).filter_map(|i| list.get(i)).map(|file| {
            let (name, size, modified) = (file.name(), file.size() as u64, file.last_modified());
            (file, name, size, modified)
        });
        let added = form
            .files
            .try_update(|picked| picked.add(files))
            .unwrap_or_default();
        let mut text = Vec::new();
        if added.count > 0 || added.duplicates.is_empty() {
            text.push(tn!("compose.files.added", added.count));
        }
        if !added.duplicates.is_empty() {
            let names = added.duplicates.join(", ");
            text.push(fill(&t!("compose.files.duplicate"), &[("name", &names)]));
        }
        form.notice.set(text.join(" "));
        edited();
        form.fixed("files");
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(list) = input.files() {
            add_files(list);
        }
        // The same file can be chosen again after being removed.
        input.set_value("");
    };
    let on_drag_enter = move |ev: DragEvent| {
        ev.prevent_default();
        drag_depth.update_value(|d| *d += 1);
        dragging.set(!sending.get_untracked());
    };
    let on_drag_over = move |ev: DragEvent| {
        ev.prevent_default();
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_drop_effect(if sending.get_untracked() {
                "none"
            } else {
                "copy"
            });
        }
    };
    let on_drag_leave = move |_ev: DragEvent| {
        drag_depth.update_value(|d| *d -= 1);
        if drag_depth.get_value() <= 0 {
            drag_depth.set_value(0);
            dragging.set(false);
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        drag_depth.set_value(0);
        dragging.set(false);
        if sending.get_untracked() {
            return;
        }
        if let Some(list) = ev.data_transfer().and_then(|t| t.files()) {
            add_files(list);
        }
    };
    let remove_file = move |key: u32| {
        let removed = form
            .files
            .try_update(|picked| picked.remove(key))
            .flatten()
            .unwrap_or_default();
        form.notice
            .set(fill(&t!("compose.files.removed"), &[("name", &removed)]));
        super::focus("files");
    };

    let file_list = move || {
        let (items, count, total) = form.files.with(|picked| {
            let items: Vec<_> = picked
                .files()
                .iter()
                .map(|p| (p.key, p.name.clone(), p.size))
                .collect();
            (items, picked.files().len(), picked.total())
        });
        if items.is_empty() {
            return view! {
                <p class="hint files-empty" id="files-count" data-testid="files-empty">{move || t!("compose.files.empty")}</p>
            }
            .into_any();
        }
        let items = items
            .into_iter()
            .map(|(key, name, size)| {
                let label = {
                    let name = name.clone();
                    move || fill(&t!("compose.files.remove.label"), &[("name", &name)])
                };
                view! {
                    <li class="file" data-testid="file">
                        <span class="file-name">{name}</span>
                        <span class="file-size">{move || i18n::size(size)}</span>
                        <button type="button" class="link" data-testid="remove-file"
                            aria-label=label on:click=move |_| remove_file(key)>
                            {move || t!("compose.files.remove")}
                        </button>
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="hint" id="files-count">
                {move || fill(&tn!("compose.files.count", count), &[("size", &i18n::size(total))])}
            </p>
            <ul class="files" data-testid="file-list" aria-label=move || t!("compose.files.list")>
                {items}
            </ul>
        }
        .into_any()
    };

    view! {
        <fieldset class="group" disabled=sending>
            <legend>{move || t!("compose.files.legend")}</legend>
            <div class="dropzone" class:over=move || dragging.get() data-testid="drop-zone"
                on:dragenter=on_drag_enter on:dragover=on_drag_over
                on:dragleave=on_drag_leave on:drop=on_drop>
                <p class="drop-text" aria-hidden="true">{move || t!("compose.files.drop")}</p>
                <p class="drop-or" aria-hidden="true">{move || t!("compose.files.or")}</p>
                <input id="files" data-testid="file-input" class="visually-hidden" type="file" multiple
                    aria-describedby="files-help files-count" aria-invalid=form.invalid("files")
                    on:change=on_pick />
                <label for="files" class="pick">{move || t!("compose.files.pick")}</label>
                <p class="hint" id="files-help">{move || t!("compose.files.help")}</p>
            </div>
            <p class="hint files-notice" role="status" data-testid="files-notice">{move || form.notice.get()}</p>
            {file_list}
        </fieldset>
    }
}
