//! Queued operations applied to the local view of a sheet, and applied results folded into the
//! replica.

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
        // Reviewers decide online; the self-check never queues a decision.
        Operation::Decide { .. } => {}
    }
}

/// Folds one of this client's applied operations into the replica; `index` maps point ids to
/// their place in `replica.points` and is kept up to date.
pub(super) fn absorb_applied(
    replica: &mut Replica,
    index: &mut HashMap<Uuid, usize>,
    op: &Operation,
    version: i64,
) {
    match op {
        Operation::UpsertRiskPoint {
            post_id,
            risk_point_id,
            risk_point,
            ..
        } => {
            let Some(sheet) = replica.sheets.iter().find(|s| s.post_id == *post_id) else {
                return;
            };
            let level = level_of(&sheet.matrix, risk_point).unwrap_or(domain::risk::RiskLevel::Low);
            let normalised = risk_point
                .validate()
                .map(|v| v.to_input())
                .unwrap_or_else(|_| risk_point.clone());
            if let Some(p) = index
                .get(risk_point_id)
                .and_then(|&i| replica.points.get_mut(i))
            {
                p.input = normalised;
                p.level = level;
                p.version = version;
            } else {
                // Positions only order the list: after everything this device knows.
                let position = replica.points.len() as i64;
                index.insert(*risk_point_id, replica.points.len());
                replica.points.push(RiskPointRecord {
                    id: *risk_point_id,
                    post_id: *post_id,
                    version,
                    position,
                    level,
                    input: normalised,
                });
            }
        }
        Operation::DeleteRiskPoint { risk_point_id, .. } => {
            replica.points.retain(|p| p.id != *risk_point_id);
            *index = replica
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id, i))
                .collect();
        }
        Operation::SubmitSheet { post_id } => {
            if let Some(sheet) = replica.sheets.iter_mut().find(|s| s.post_id == *post_id) {
                sheet.stage = Stage::PeerReview;
                sheet.version = version;
            }
        }
        Operation::Decide { .. } => {}
    }
}
