//! The key directory log's policy on the platform page (issue 9): the witnesses and
//! quorum in force, as the log holds them signed by the root, beside what the relay is
//! now configured with; when they differ, the platform authority signs the new policy
//! with the root (in the worker), and the relay appends it to the log.

use leptos::prelude::*;

use super::ErrorBox;
use super::dialog::{Reauth, report};
use crate::i18n::{self, Key, key, t, tn};
use crate::protocol::{LogPolicyView, WorkerError};

#[component]
pub fn LogPolicyCard() -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let version = RwSignal::new(0_u32);
    let policies = LocalResource::new(move || {
        version.track();
        crate::bridge::call(crate::protocol::LogPolicies)
    });
    let loaded = Signal::derive(move || policies.get().and_then(Result::ok));
    let load_error = Signal::derive(move || policies.get().and_then(Result::err));
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let (signed, set_signed) = signal(false);
    let sign = move |_| {
        set_busy.set(true);
        set_error.set(None);
        set_signed.set(false);
        leptos::task::spawn_local(async move {
            match gate.call(crate::protocol::SignLogPolicy).await {
                Ok(_) => {
                    set_signed.set(true);
                    version.update(|v| *v += 1);
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    };
    let body = move || {
        let p = loaded.get()?;
        Some(if p.differs {
            view! {
                <div class="alert warning" role="note" data-testid="log-policy-differs">
                    <p>{move || t!("admin.log_policy.differs")}</p>
                </div>
                {policy(key!("admin.log_policy.current"), p.current, "log-policy-current")}
                {policy(key!("admin.log_policy.proposed"), p.proposed, "log-policy-proposed")}
                <p class="hint">{move || t!("admin.log_policy.sign.help")}</p>
                <div class="actions">
                    <button type="button" class="primary" disabled=busy on:click=sign
                        data-testid="log-policy-sign">
                        {move || t!("admin.log_policy.sign")}
                    </button>
                </div>
            }
            .into_any()
        } else {
            view! {
                {policy(key!("admin.log_policy.current"), p.current, "log-policy-current")}
                <p class="hint" data-testid="log-policy-same">{move || t!("admin.log_policy.same")}</p>
            }
            .into_any()
        })
    };
    view! {
        <section class="card" aria-labelledby="log-policy-title" data-testid="log-policy-card">
            <h2 id="log-policy-title">{move || t!("admin.log_policy.title")}</h2>
            <p class="hint">{move || t!("admin.log_policy.intro")}</p>
            <ErrorBox error=load_error />
            {body}
            <ErrorBox error=error />
            <p role="status" class="ok">
                {move || signed.get().then(|| view! {
                    <span data-testid="log-policy-signed">{move || t!("admin.log_policy.signed")}</span>
                })}
            </p>
        </section>
    }
}

/// One policy: its quorum, how fresh cosignatures must be, and its witnesses with their
/// key fingerprints (to compare with their operators).
fn policy(title: Key, policy: LogPolicyView, testid: &'static str) -> impl IntoView {
    let total = policy.witnesses.len();
    let quorum = policy.quorum;
    let hours = u64::from(policy.max_age_s).div_ceil(3600);
    let rows = policy
        .witnesses
        .into_iter()
        .map(|(name, fingerprint)| {
            view! {
                <tr>
                    <th scope="row" data-label=move || t!("admin.log_policy.witness")>{name}</th>
                    <td data-label=move || t!("admin.log_policy.fingerprint")><code>{fingerprint}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="log-policy" data-testid=testid>
            <h3>{move || i18n::t(title)}</h3>
            <dl class="fingerprints">
                <dt>{move || t!("admin.log_policy.quorum")}</dt>
                <dd data-testid=format!("{testid}-quorum")>{format!("{quorum} / {total}")}</dd>
                <dt>{move || t!("admin.log_policy.max_age")}</dt>
                <dd>{move || tn!("admin.log_policy.hours", hours)}</dd>
            </dl>
            <div class="table-wrap">
                <table class="stack">
                    <caption class="visually-hidden">{move || i18n::t(title)} " — " {move || t!("admin.log_policy.witnesses")}</caption>
                    <thead><tr>
                        <th scope="col">{move || t!("admin.log_policy.witness")}</th>
                        <th scope="col">{move || t!("admin.log_policy.fingerprint")}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
}
