//! The organisation admin's ProConnect panel: the service's SIRET numbers (whose agents
//! may sign in with ProConnect), one per line, each checked here before anything is sent
//! (14 digits and their check key: a typo is named, nothing is saved), and whether every
//! person of the service must sign in with ProConnect.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::OrgId;
use pli_api::messages::{Members, ProConnectPolicy, Siret};

use super::super::ErrorBox;
use super::super::dialog::{Reauth, report};
use crate::i18n::t;
use crate::protocol::WorkerError;

/// What the admin typed, read: the numbers, or the first line that is not one.
fn read_sirets(text: &str) -> Result<Vec<Siret>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| Siret::parse(line).map_err(|_| line.to_owned()))
        .collect()
}

#[component]
pub fn ProConnectForm(
    org: OrgId,
    members: Signal<Option<Members>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let sirets = RwSignal::new(None::<String>);
    let required = RwSignal::new(false);
    // The current values, once the member list (which carries them) has arrived.
    Effect::new(move |_| {
        if let Some(m) = members.get()
            && sirets.get_untracked().is_none()
        {
            let lines: Vec<String> = m.proconnect.sirets.iter().map(Siret::to_string).collect();
            sirets.set(Some(lines.join("\n")));
            required.set(m.proconnect.required);
        }
    });
    let (saved, set_saved) = signal(false);
    let (invalid, set_invalid) = signal(None::<String>);
    let (needs_siret, set_needs_siret) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_error.set(None);
        set_saved.set(false);
        set_invalid.set(None);
        set_needs_siret.set(false);
        let typed = sirets.get_untracked().unwrap_or_default();
        let list = match read_sirets(&typed) {
            Ok(list) => list,
            Err(line) => {
                set_invalid.set(Some(line));
                return;
            }
        };
        if required.get_untracked() && list.is_empty() {
            set_needs_siret.set(true);
            return;
        }
        let policy = ProConnectPolicy {
            sirets: list,
            required: required.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match gate
                .call(crate::protocol::SetProConnect { org, policy })
                .await
            {
                Ok(()) => {
                    set_saved.set(true);
                    version.update(|v| *v += 1);
                }
                Err(e) => report(set_error, e),
            }
        });
    };
    view! {
        <form on:submit=submit>
            <p class="hint">{move || t!("admin.proconnect.help")}</p>
            <div class="field">
                <label for="proconnect-sirets">{move || t!("admin.proconnect.sirets")}</label>
                <textarea id="proconnect-sirets" data-testid="proconnect-sirets" rows="3"
                    inputmode="numeric" spellcheck="false"
                    prop:value=move || sirets.get().unwrap_or_default()
                    on:input=move |ev| sirets.set(Some(event_target_value(&ev)))></textarea>
            </div>
            <div class="field inline">
                <input type="checkbox" id="proconnect-required" data-testid="proconnect-required"
                    prop:checked=move || required.get()
                    on:change=move |ev| required.set(event_target_checked(&ev)) />
                <label for="proconnect-required">{move || t!("admin.proconnect.required")}</label>
            </div>
            {move || invalid.get().map(|line| view! {
                <p class="alert error" role="alert" data-testid="proconnect-invalid">
                    {move || t!("admin.proconnect.invalid")} " " {line.clone()}
                </p>
            })}
            <Show when=move || needs_siret.get()>
                <p class="alert error" role="alert">{move || t!("admin.proconnect.needs_siret")}</p>
            </Show>
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" data-testid="proconnect-submit">{move || t!("admin.proconnect.submit")}</button>
                <span role="status" class="ok" data-testid="proconnect-saved">
                    {move || saved.get().then(|| t!("admin.proconnect.saved"))}
                </span>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sirets_are_read_one_a_line_and_the_first_bad_one_is_named() {
        let read = super::read_sirets("130 025 265 00013\n\n  21750001600019 \n").unwrap();
        let digits: Vec<&str> = read.iter().map(|s| s.as_str()).collect();
        assert_eq!(digits, ["13002526500013", "21750001600019"]);
        assert_eq!(
            super::read_sirets("13002526500013\n13002526500014"),
            Err("13002526500014".to_owned())
        );
        assert_eq!(super::read_sirets(" \n"), Ok(vec![]));
    }
}
