//! The files of a send: a drop zone with a file input inside, the list of files picked
//! (each removable), a live notice of what changed, and, when a file picked is empty
//! (0 bytes), a warning naming it with a box to tick before it can be sent. While a send
//! runs the fieldset is disabled and drops are refused.

use leptos::ev::DragEvent;
use leptos::prelude::*;

use super::form::Form;
use crate::i18n::{self, fill, t, tn};
use crate::model::draft::EMPTY_CONFIRM;
use crate::model::picked::PickedFiles;

/// What the page says about the empty files `names`: the one named, or the list.
pub(super) fn empty_text(names: &[String]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|name| fill(&t!("compose.files.quoted"), &[("name", name)]))
        .collect();
    match quoted.as_slice() {
        [one] => fill(&t!("compose.files.empty_one"), &[("name", one)]),
        _ => fill(
            &tn!("compose.files.empty_many", quoted.len()),
            &[("names", &quoted.join(", "))],
        ),
    }
}

/// The warning shown while empty files are picked, with the box that confirms sending
/// them.
fn empty_warning(form: Form) -> impl IntoView {
    move || {
        let names = form.files.with(PickedFiles::empty_names);
        (!names.is_empty()).then(|| {
            let one = names.len() == 1;
            view! {
                <div class="alert warning empty-files" data-testid="empty-warning">
                    <p id="empty-warning-text">
                        <span aria-hidden="true">"⚠ "</span>{move || empty_text(&names)}
                    </p>
                    <p class="hint">{move || t!("compose.files.empty_help")}</p>
                    <div class="field inline">
                        <input id=EMPTY_CONFIRM data-testid="confirm-empty" type="checkbox"
                            aria-describedby="empty-warning-text"
                            aria-invalid=form.invalid(EMPTY_CONFIRM)
                            prop:checked=move || form.empty_confirmed.get()
                            on:change=move |ev| {
                                form.empty_confirmed.set(event_target_checked(&ev));
                                form.fixed(EMPTY_CONFIRM);
                            } />
                        <label for=EMPTY_CONFIRM>
                            {move || if one {
                                t!("compose.files.empty_confirm.one")
                            } else {
                                t!("compose.files.empty_confirm.many")
                            }}
                        </label>
                    </div>
                </div>
            }
        })
    }
}

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
        if added.empty > 0 {
            // Another empty file: the person confirms again, for all of them.
            form.empty_confirmed.set(false);
        }
        edited();
        form.fixed("files");
        form.fixed(EMPTY_CONFIRM);
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
        form.fixed(EMPTY_CONFIRM);
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
                        <span class="file-size" class:empty=size == 0>{move || i18n::size(size)}</span>
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
            {empty_warning(form)}
        </fieldset>
    }
}
