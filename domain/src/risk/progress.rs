//! Measures carried out (措施落实, DESIGN §8): once a sheet is approved, the holder reports each
//! measure's progress (未开始 / 进行中 / 已完成, with a note and, when finished, the day), from the
//! phone and offline too; the section head checks a finished measure (检验) and accepts it or sends
//! it back with a reason. Each report and check is an event; where a measure stands is read off
//! the latest one ([`Standing::after`]), and 逾期 is [`MeasureStatus::overdue`], computed when shown.

use serde::{Deserialize, Serialize};

use super::{IsoDate, MeasureStatus};
use crate::{
    stage::Stage,
    text::{CheckReason, ProgressNote},
    FieldError,
};

/// One act on a measure, as the log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The holder reports progress.
    Report,
    /// The section head accepts the finished measure (检验通过).
    Accept,
    /// The section head sends it back (检验退回): it is in progress again.
    SendBack,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Accept => "accept",
            Self::SendBack => "send_back",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Report, Self::Accept, Self::SendBack]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Where a measure's check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Nothing to check: not reported finished (or never reported).
    Open,
    /// Reported finished; the section head checks it (待检验).
    AwaitingCheck,
    /// Checked and accepted (检验通过): no further report changes it.
    Accepted,
    /// Checked and sent back (检验退回): the holder carries on and reports again.
    SentBack,
}

impl Standing {
    /// The standing after the latest event on the measure (`None`: no event yet), with the
    /// status that event reported.
    pub fn after(latest: Option<(EventKind, MeasureStatus)>) -> Self {
        match latest {
            None => Self::Open,
            Some((EventKind::Accept, _)) => Self::Accepted,
            Some((EventKind::SendBack, _)) => Self::SentBack,
            Some((EventKind::Report, MeasureStatus::Done)) => Self::AwaitingCheck,
            Some((EventKind::Report, _)) => Self::Open,
        }
    }

    /// The code on the wire (`MeasureInput::check`); empty for [`Standing::Open`].
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "",
            Self::AwaitingCheck => "awaiting_check",
            Self::Accepted => "accepted",
            Self::SentBack => "sent_back",
        }
    }

    pub fn from_code(code: &str) -> Self {
        [Self::AwaitingCheck, Self::Accepted, Self::SentBack]
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Self::Open)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "",
            Self::AwaitingCheck => "待检验",
            Self::Accepted => "检验通过",
            Self::SentBack => "检验退回",
        }
    }
}

/// A progress report that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub status: MeasureStatus,
    pub done_on: Option<IsoDate>,
    pub note: ProgressNote,
}

/// Checks a progress report as typed, on `today`: a known status, a finished measure with the day
/// it was finished (not after today) and no other with one, and a note of what was done. Every
/// problem is reported, each naming its field.
pub fn check_report(
    status: &str,
    done_on: &str,
    note: &str,
    today: IsoDate,
) -> Result<Report, Vec<FieldError>> {
    let mut errors = Vec::new();
    let status = MeasureStatus::parse(status)
        .map_err(|e| errors.push(e))
        .ok();
    let done_on = match done_on.trim() {
        "" => Some(None),
        raw => match IsoDate::parse(raw, "done_on", "完成日期") {
            Ok(day) if day > today => {
                errors.push(FieldError::new(
                    "in_future",
                    "done_on",
                    format!("完成日期 {day} 晚于今天（{today}），不能预先报告完成"),
                ));
                None
            }
            Ok(day) => Some(Some(day)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    if let (Some(status), Some(done_on)) = (status, done_on) {
        if let Err(e) = status.check_done_on(done_on) {
            errors.push(e);
        }
    }
    let note = ProgressNote::parse(note).map_err(|e| errors.push(e)).ok();
    match (status, done_on, note) {
        (Some(status), Some(done_on), Some(note)) if errors.is_empty() => Ok(Report {
            status,
            done_on,
            note,
        }),
        _ => Err(errors),
    }
}

/// Whether progress may be reported on a measure of a sheet at `stage` that stands at
/// `standing`: only on an approved sheet (审核通过; before that the measures are still what is
/// being approved, and every approval vouches for their exact content), and never after the
/// check accepted it.
pub fn check_reportable(stage: Stage, standing: Standing) -> Result<(), FieldError> {
    if stage != Stage::Approved {
        return Err(FieldError::new(
            "not_approved",
            "stage",
            format!(
                "排查表经区纪委审核通过后才能报告措施落实情况（现处于“{}”环节）",
                stage.label()
            ),
        ));
    }
    if standing == Standing::Accepted {
        return Err(FieldError::new(
            "already_accepted",
            "status",
            "该措施已检验通过，不能再更改落实情况",
        ));
    }
    Ok(())
}

/// The section head's verdict at the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    SendBack(CheckReason),
}

impl Verdict {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Accept => EventKind::Accept,
            Self::SendBack(_) => EventKind::SendBack,
        }
    }
}

/// Checks a verdict as typed: a send-back needs its reason.
pub fn check_verdict(accept: bool, reason: &str) -> Result<Verdict, FieldError> {
    if accept {
        Ok(Verdict::Accept)
    } else {
        CheckReason::parse(reason).map(Verdict::SendBack)
    }
}

/// Whether a measure standing at `standing` may be checked now: only one reported finished and
/// not yet checked.
pub fn check_checkable(standing: Standing) -> Result<(), FieldError> {
    match standing {
        Standing::AwaitingCheck => Ok(()),
        Standing::Accepted => Err(FieldError::new(
            "already_accepted",
            "status",
            "该措施已检验通过",
        )),
        Standing::Open | Standing::SentBack => Err(FieldError::new(
            "not_done",
            "status",
            "该措施尚未报告完成，不能检验",
        )),
    }
}

/// What a measure becomes after `verdict`: accepted keeps it finished; sent back makes it in
/// progress again, with no finishing day, for the holder to carry on.
pub fn after_verdict(
    verdict: &Verdict,
    done_on: Option<IsoDate>,
) -> (MeasureStatus, Option<IsoDate>) {
    match verdict {
        Verdict::Accept => (MeasureStatus::Done, done_on),
        Verdict::SendBack(_) => (MeasureStatus::InProgress, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> IsoDate {
        IsoDate::parse(raw, "day", "日期").unwrap()
    }

    #[test]
    fn a_report_needs_a_known_status_a_note_and_a_past_day_when_finished() {
        let today = day("2026-12-03");
        let done = check_report("done", "2026-12-02", "已建立台账并上墙公示", today).unwrap();
        assert_eq!(done.status, MeasureStatus::Done);
        assert_eq!(done.done_on, Some(day("2026-12-02")));
        assert!(check_report("进行中", "", "正在制定制度", today).is_ok());

        let codes = |r: Result<Report, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            codes(check_report("done", "2026-12-04", "提前报告", today)),
            vec![s("done_on", "in_future")]
        );
        assert_eq!(
            codes(check_report("done", "", "已完成", today)),
            vec![s("done_on", "required")]
        );
        assert_eq!(
            codes(check_report("in_progress", "2026-12-01", "还在做", today)),
            vec![s("done_on", "not_done")]
        );
        assert_eq!(
            codes(check_report("差不多", "", " ", today)),
            vec![s("status", "unknown_value"), s("note", "required")]
        );
    }

    #[test]
    fn progress_is_reported_on_approved_sheets_until_the_check_accepts_it() {
        assert_eq!(
            check_reportable(Stage::PublicNotice, Standing::Open)
                .unwrap_err()
                .code,
            "not_approved"
        );
        assert!(check_reportable(Stage::Approved, Standing::Open).is_ok());
        assert!(check_reportable(Stage::Approved, Standing::SentBack).is_ok());
        assert!(check_reportable(Stage::Approved, Standing::AwaitingCheck).is_ok());
        assert_eq!(
            check_reportable(Stage::Approved, Standing::Accepted)
                .unwrap_err()
                .code,
            "already_accepted"
        );
    }

    #[test]
    fn the_check_takes_finished_measures_and_a_send_back_reopens_them() {
        use EventKind::*;
        use MeasureStatus::*;
        assert_eq!(Standing::after(None), Standing::Open);
        assert_eq!(Standing::after(Some((Report, InProgress))), Standing::Open);
        let awaiting = Standing::after(Some((Report, Done)));
        assert_eq!(awaiting, Standing::AwaitingCheck);
        assert!(check_checkable(awaiting).is_ok());
        assert_eq!(
            check_checkable(Standing::Open).unwrap_err().code,
            "not_done"
        );
        assert_eq!(
            check_checkable(Standing::SentBack).unwrap_err().code,
            "not_done"
        );
        assert_eq!(
            check_checkable(Standing::Accepted).unwrap_err().code,
            "already_accepted"
        );

        assert_eq!(check_verdict(false, " ").unwrap_err().field, "reason");
        let back = check_verdict(false, "台账不完整，请补充").unwrap();
        assert_eq!(
            after_verdict(&back, Some(day("2026-12-01"))),
            (InProgress, None)
        );
        assert_eq!(
            Standing::after(Some((back.kind(), InProgress))),
            Standing::SentBack
        );
        let accept = check_verdict(true, "").unwrap();
        assert_eq!(
            after_verdict(&accept, Some(day("2026-12-01"))),
            (Done, Some(day("2026-12-01")))
        );
        assert_eq!(
            Standing::after(Some((accept.kind(), Done))),
            Standing::Accepted
        );
        for s in [
            Standing::Open,
            Standing::AwaitingCheck,
            Standing::Accepted,
            Standing::SentBack,
        ] {
            assert_eq!(Standing::from_code(s.code()), s);
        }
    }

    #[test]
    fn a_measure_is_overdue_once_its_day_has_passed_unfinished() {
        let due = Some(day("2026-12-01"));
        let (on_the_day, after) = (day("2026-12-01"), day("2026-12-02"));
        assert!(!MeasureStatus::InProgress.overdue(due, on_the_day));
        assert!(MeasureStatus::InProgress.overdue(due, after));
        assert!(MeasureStatus::Planned.overdue(due, after));
        assert!(!MeasureStatus::Done.overdue(due, after));
        assert!(!MeasureStatus::Planned.overdue(None, after));
    }
}
