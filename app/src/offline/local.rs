//! Queued operations applied to the local view of a sheet.

use super::*;

pub(super) fn level_of(
    matrix: &RatingMatrix,
    input: &RiskPointInput,
) -> Option<domain::risk::RiskLevel> {
    input.validate().ok().map(|v| v.level(matrix))
}

/// Applies a queued operation to the local view of a sheet.
pub(super) fn apply_local(sheet: &mut SheetRecord, points: &mut Vec<LocalPoint>, op: &Operation) {
    match op {
        Operation::UpsertRiskPoint {
            risk_point_id,
            post_id,
            risk_point,
            ..
        } => {
            let level = level_of(&sheet.matrix, risk_point).unwrap_or(domain::risk::RiskLevel::Low);
            if let Some(p) = points.iter_mut().find(|p| p.record.id == *risk_point_id) {
                p.record.input = risk_point.clone();
                p.record.level = level;
                p.record.version += 1;
                p.pending = true;
            } else {
                let position = points
                    .iter()
                    .map(|p| p.record.position + 1)
                    .max()
                    .unwrap_or(0);
                points.push(LocalPoint {
                    record: RiskPointRecord {
                        id: *risk_point_id,
                        post_id: *post_id,
                        version: 1,
                        position,
                        level,
                        input: risk_point.clone(),
                    },
                    pending: true,
                    known: false,
                });
            }
        }
        Operation::DeleteRiskPoint { risk_point_id, .. } => {
            points.retain(|p| p.record.id != *risk_point_id)
        }
        Operation::SubmitSheet { .. } => sheet.stage = Stage::PeerReview,
        // A progress report shows at once, waiting for the check when it says finished.
        Operation::ReportMeasure {
            risk_point_id,
            position,
            status,
            done_on,
            note,
        } => {
            let point = points.iter_mut().find(|p| p.record.id == *risk_point_id);
            if let Some(p) = point {
                let measure = usize::try_from(*position)
                    .ok()
                    .and_then(|i| p.record.input.measures.get_mut(i));
                if let Some(m) = measure {
                    m.status = status.clone();
                    m.done_on = done_on.clone();
                    m.note = note.clone();
                    let done = *status == domain::risk::MeasureStatus::Done.code();
                    m.check = if done {
                        domain::risk::progress::Standing::AwaitingCheck.code()
                    } else {
                        ""
                    }
                    .to_owned();
                    p.pending = true;
                }
            }
        }
        // Reviewers decide online; the self-check never queues a decision; a signing changes no
        // sheet; an unreadable operation exists only on the server.
        Operation::Decide { .. }
        | Operation::SignCommitment { .. }
        | Operation::AnswerWarning { .. }
        | Operation::Unreadable(_) => {}
    }
}
