//! The life of one send on the send page, as one state: editing, sending (with its
//! progress, a cancel asked, a stall), sent, cancelled or failed (with the sealed plan
//! that lets "Réessayer" resume it). Before, six independent flags (`sending`,
//! `cancelling`, `cancelled`, `sent`, `failure`, `stalled`) could contradict each other —
//! sent *and* failed, cancelling while idle; here each combination that cannot happen
//! cannot be written, and each transition is a method the unit tests below drive.

use pli_api::{ErrorCode, ExchangeId};

use crate::protocol::{Phase, ProgressReport, WorkerError};

/// After this long without any progress, the connection seems interrupted.
pub const STALL_MS: f64 = 10_000.0;

/// Where a send stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum SendState {
    /// Nothing under way: the form is being filled in.
    #[default]
    Editing,
    /// The worker is encrypting and uploading.
    Sending(Running),
    /// Delivered to the relay: the new exchange.
    Sent(ExchangeId),
    /// Cancelled by the person: the relay erased what it had received.
    Cancelled,
    /// Failed; `plan` (the sealed plan, base64) resumes it if the relay got that far.
    Failed {
        /// Why.
        error: WorkerError,
        /// The sealed plan of the failed send, if it was created.
        plan: Option<String>,
    },
}

/// A send under way.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    /// The encryption's progress, once reported.
    pub encrypt: Option<ProgressReport>,
    /// The upload's progress, once reported.
    pub upload: Option<ProgressReport>,
    /// The person asked to cancel; the worker has not answered yet.
    pub cancelling: bool,
    /// No progress for [`STALL_MS`].
    pub stalled: bool,
    /// The sealed plan, once the worker handed it out.
    pub plan: Option<String>,
    last_progress_ms: f64,
}

/// How a new send begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Everything is encrypted and sent; `abandon` is the plan of an earlier failed send
    /// the relay may now erase.
    Fresh {
        /// The failed send's plan, to abandon.
        abandon: Option<String>,
    },
    /// "Réessayer": the failed send resumes from its plan, uploading only what the relay
    /// lacks.
    Resume(String),
}

/// The one-line status under the send button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to say.
    None,
    /// Sending, before the first progress report.
    Preparing,
    /// Sending.
    Sending,
    /// Sending, but the browser says it is offline.
    Offline,
    /// Sending, but nothing has moved for a while.
    Stalled,
    /// Cancel asked.
    Cancelling,
    /// The send was cancelled.
    Cancelled,
}

impl SendState {
    /// Whether a send is under way (the form is then locked).
    pub fn is_sending(&self) -> bool {
        matches!(self, Self::Sending(_))
    }

    /// The send under way, if any.
    pub fn running(&self) -> Option<&Running> {
        match self {
            Self::Sending(running) => Some(running),
            _ => None,
        }
    }

    /// Starts a send at `now_ms` (resuming the failed one if `resume` and it left a
    /// plan). `None` while one is already under way: a second click does nothing.
    pub fn begin(&mut self, resume: bool, now_ms: f64) -> Option<Begin> {
        let begin = match std::mem::take(self) {
            Self::Sending(running) => {
                *self = Self::Sending(running);
                return None;
            }
            Self::Failed {
                plan: Some(plan), ..
            } if resume => Begin::Resume(plan),
            Self::Failed { plan, .. } => Begin::Fresh { abandon: plan },
            Self::Editing | Self::Sent(_) | Self::Cancelled => Begin::Fresh { abandon: None },
        };
        let plan = match &begin {
            Begin::Resume(plan) => Some(plan.clone()),
            Begin::Fresh { .. } => None,
        };
        *self = Self::Sending(Running {
            encrypt: None,
            upload: None,
            cancelling: false,
            stalled: false,
            plan,
            last_progress_ms: now_ms,
        });
        Some(begin)
    }

    /// A report from the worker at `now_ms`. A new sealed plan is remembered here (to
    /// resume from after a failure); storing it is the request's `PlanStore`'s job.
    pub fn progress(&mut self, report: ProgressReport, now_ms: f64) {
        let Self::Sending(running) = self else {
            return;
        };
        running.last_progress_ms = now_ms;
        running.stalled = false;
        match report.phase {
            Phase::Encrypt => running.encrypt = Some(report),
            Phase::Upload => running.upload = Some(report),
            Phase::Plan => {
                if let Some(plan) = report.plan {
                    running.plan = Some(plan);
                }
            }
            _ => {}
        }
    }

    /// The clock ticked: a send without progress for [`STALL_MS`] is stalled. Returns
    /// whether that changed anything.
    pub fn tick(&mut self, now_ms: f64) -> bool {
        match self {
            Self::Sending(running)
                if !running.stalled && now_ms - running.last_progress_ms > STALL_MS =>
            {
                running.stalled = true;
                true
            }
            _ => false,
        }
    }

    /// The person asked to cancel. Returns whether the worker must be told.
    pub fn cancel(&mut self) -> bool {
        match self {
            Self::Sending(running) if !running.cancelling => {
                running.cancelling = true;
                true
            }
            _ => false,
        }
    }

    /// The worker answered.
    pub fn finish(&mut self, result: Result<ExchangeId, WorkerError>) {
        let plan = match std::mem::take(self) {
            Self::Sending(running) => running.plan,
            _ => None,
        };
        *self = match result {
            Ok(id) => Self::Sent(id),
            Err(error) if error.code == ErrorCode::Cancelled => Self::Cancelled,
            Err(error) => Self::Failed { error, plan },
        };
    }

    /// Whether the sealed plan kept for a reload must be forgotten: the send ended for
    /// good (sent or cancelled). A failed send keeps it, to be resumed.
    pub fn ended(&self) -> bool {
        matches!(self, Self::Sent(_) | Self::Cancelled)
    }

    /// The form changed after a send ended: the success or cancellation notice goes; a
    /// failure (and its plan) stays until the next send decides.
    pub fn edited(&mut self) {
        if matches!(self, Self::Sent(_) | Self::Cancelled) {
            *self = Self::Editing;
        }
    }

    /// Whether "Réessayer" is offered: not after a verification failure, which would
    /// fail the same way.
    pub fn retry_offered(&self) -> bool {
        matches!(self, Self::Failed { error, .. } if error.code != ErrorCode::Verification)
    }

    /// The status line, given whether the browser is `offline`.
    pub fn status(&self, offline: bool) -> Status {
        match self {
            Self::Sending(r) if r.cancelling => Status::Cancelling,
            Self::Sending(_) if offline => Status::Offline,
            Self::Sending(r) if r.stalled => Status::Stalled,
            Self::Sending(r) if r.encrypt.is_none() && r.upload.is_none() => Status::Preparing,
            Self::Sending(_) => Status::Sending,
            Self::Cancelled => Status::Cancelled,
            Self::Editing | Self::Sent(_) | Self::Failed { .. } => Status::None,
        }
    }
}

impl Status {
    /// Whether the status warns (offline, stalled).
    pub fn warns(self) -> bool {
        matches!(self, Self::Offline | Self::Stalled)
    }
}

#[cfg(test)]
mod tests {
    use pli_api::{ErrorCode, ExchangeId};

    use super::{Begin, STALL_MS, SendState, Status};
    use crate::protocol::{Phase, ProgressReport, WorkerError};

    fn report(phase: Phase, plan: Option<&str>) -> ProgressReport {
        ProgressReport {
            phase,
            done: 1,
            total: 2,
            busy_ms: 0,
            pooled: 0,
            hashed: 0,
            plan: plan.map(str::to_owned),
        }
    }

    fn id() -> ExchangeId {
        ExchangeId::from_bytes([7; 16])
    }

    #[test]
    fn a_send_goes_from_preparing_to_sending_to_sent_and_forgets_its_plan() {
        let mut state = SendState::default();
        assert_eq!(
            state.begin(false, 0.0),
            Some(Begin::Fresh { abandon: None })
        );
        assert_eq!(state.status(false), Status::Preparing);
        assert_eq!(
            state.begin(false, 1.0),
            None,
            "a second click starts nothing"
        );
        state.progress(report(Phase::Plan, Some("sealed")), 2.0);
        assert!(
            matches!(&state, SendState::Sending(r) if r.plan.as_deref() == Some("sealed")),
            "{state:?}"
        );
        state.progress(report(Phase::Encrypt, None), 3.0);
        assert_eq!(state.status(false), Status::Sending);
        assert_eq!(state.status(true), Status::Offline);
        state.finish(Ok(id()));
        assert_eq!(state, SendState::Sent(id()));
        assert!(state.ended());
        assert_eq!(state.status(false), Status::None);
        state.edited();
        assert_eq!(state, SendState::Editing);
    }

    #[test]
    fn a_stall_is_noticed_once_and_cleared_by_progress() {
        let mut state = SendState::default();
        state.begin(false, 0.0);
        assert!(!state.tick(STALL_MS));
        assert!(state.tick(STALL_MS + 1.0));
        assert!(!state.tick(STALL_MS + 2.0), "already stalled");
        assert_eq!(state.status(false), Status::Stalled);
        assert!(state.status(false).warns());
        state.progress(report(Phase::Upload, None), STALL_MS + 3.0);
        assert_eq!(state.status(false), Status::Sending);
        assert!(!SendState::Editing.clone().tick(1e12), "idle never stalls");
    }

    #[test]
    fn cancelling_is_asked_once_and_ends_in_cancelled() {
        let mut state = SendState::default();
        assert!(!state.cancel(), "nothing to cancel");
        state.begin(false, 0.0);
        assert!(state.cancel());
        assert!(!state.cancel(), "the worker is told once");
        assert_eq!(state.status(true), Status::Cancelling);
        state.finish(Err(WorkerError::new(ErrorCode::Cancelled, "")));
        assert_eq!(state, SendState::Cancelled);
        assert!(state.ended());
        assert_eq!(state.status(false), Status::Cancelled);
    }

    #[test]
    fn a_failed_send_keeps_its_plan_to_resume_or_abandon() {
        let mut state = SendState::default();
        state.begin(false, 0.0);
        state.progress(report(Phase::Plan, Some("p1")), 1.0);
        state.finish(Err(WorkerError::new(ErrorCode::Network, "cut")));
        assert!(!state.ended(), "the plan is kept for a reload");
        assert!(state.retry_offered());
        state.edited();
        assert!(
            matches!(state, SendState::Failed { .. }),
            "editing keeps the failure"
        );
        assert_eq!(state.begin(true, 2.0), Some(Begin::Resume("p1".into())));
        // The resumed send fails again before a new plan: the same plan is kept.
        state.finish(Err(WorkerError::new(ErrorCode::Network, "cut")));
        assert_eq!(
            state.begin(false, 3.0),
            Some(Begin::Fresh {
                abandon: Some("p1".into())
            }),
            "a new send abandons the failed one"
        );
    }

    #[test]
    fn a_failure_without_plan_resends_and_a_verification_failure_offers_no_retry() {
        let mut state = SendState::default();
        state.begin(false, 0.0);
        state.finish(Err(WorkerError::new(ErrorCode::Verification, "bad key")));
        assert!(!state.retry_offered());
        assert_eq!(state.begin(true, 1.0), Some(Begin::Fresh { abandon: None }));
        assert!(state.running().is_some_and(|r| r.plan.is_none()));
    }
}
