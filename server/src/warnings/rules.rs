//! 预警规则: the commission's rules raise warnings by themselves. [`run`] gathers the facts the
//! switched-on rules read (late measures of published sheets, unsigned commitments, overdue
//! 回头看, sheets waiting at one stage, key posts' holders owed a talk, objections found upheld,
//! risk points whose measures do not lower them), lets `domain::warning::rules::evaluate` find the causes
//! past their thresholds that were never raised, and opens one warning for each, in the caller's
//! write transaction. The cause is unique in the table as well, so even two runs at once cannot
//! raise a cause twice.

use std::collections::HashSet;

use app::{api::SessionUser, write::SaveWarningRules};
use domain::{
    ids::{OrgUnitId, UserId},
    risk::IsoDate,
    stage::Stage,
    warning::{
        rules::{self, Addressee, Fact, Rule, RuleKind},
        Source,
    },
    FieldError,
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::{now_ms, Db},
    directory::Org,
    error::{corrupt, Error, Result},
    rounds,
    store::{self, warnings::NewWarningRow, Conn},
    warnings::record,
};

/// The rules as the district has them: one per kind, defaults (off) for any never set.
pub async fn current(conn: &mut Conn) -> Result<Vec<Rule>> {
    Ok(rules::complete(store::warning_rules::load(conn).await?))
}

/// Saves the rules the commission sent; every rule is checked first and all refusals are
/// reported together, so a bad threshold changes nothing.
pub async fn save(db: &Db, user: &SessionUser, request: &SaveWarningRules) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_set_district_settings())
        .await?;
    let mut errors = Vec::new();
    let mut checked: Vec<Rule> = Vec::new();
    for input in &request.rules {
        let Some(kind) = RuleKind::from_code(&input.kind) else {
            errors.push(FieldError::new(
                "unknown_rule",
                "rules",
                format!("预警规则：没有名为“{}”的规则", input.kind),
            ));
            continue;
        };
        if checked.iter().any(|r| r.kind == kind) {
            errors.push(FieldError::new(
                "duplicate_rule",
                "rules",
                format!("预警规则：“{}”出现了两次", kind.label()),
            ));
            continue;
        }
        match Rule::check(kind, input.enabled, input.days, &input.level) {
            Ok(rule) => checked.push(rule),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if checked.is_empty() {
        return Err(FieldError::new("required", "rules", "预警规则：请至少提交一条规则").into());
    }
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    store::warning_rules::save(&mut tx, &checked, user.id, now).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "warning_rules_changed",
            "settings:warning_rules",
            json!({ "rules": checked }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Runs the switched-on rules on the China day of `now`, in `conn`'s write transaction; returns
/// how many warnings they raised.
pub async fn run(conn: &mut Conn, org: &Org, now: i64) -> Result<usize> {
    let rules = current(conn).await?;
    let on = |kind| rules.iter().any(|r| r.kind == kind && r.enabled);
    if !RuleKind::ALL.into_iter().any(on) {
        return Ok(0);
    }
    let today = IsoDate::of_instant(now);
    let mut facts = Vec::new();
    if on(RuleKind::MeasureOverdue) {
        for m in store::warning_rules::late_measures(conn, &today.to_string()).await? {
            facts.push(Fact::Measure {
                key: format!("{}:{}", m.risk_point_id, m.position),
                to: Addressee::of_post(OrgUnitId(m.unit_id), &users(&m.holders)),
                post: m.post,
                text: m.text,
                due: IsoDate::parse(&m.due, "due", "完成时限")
                    .map_err(|e| Error::Internal(corrupt("measure due day", e)))?,
                done: false,
            });
        }
    }
    if on(RuleKind::CommitmentUnsigned) {
        for c in store::warning_rules::unsigned_commitments(conn, now).await? {
            facts.push(Fact::Commitment {
                id: c.id,
                to: Addressee {
                    unit: OrgUnitId(c.unit_id),
                    person: Some(UserId(c.user_id)),
                },
                title: c.title,
                generated_on: IsoDate::of_instant(c.created_at),
            });
        }
    }
    if on(RuleKind::ReReviewOverdue) {
        for (p, _, due) in rounds::re_review_dues(conn).await? {
            facts.push(Fact::ReReview {
                post_id: p.post_id,
                to: Addressee {
                    unit: OrgUnitId(p.unit_id),
                    person: None,
                },
                post: p.title,
                due,
            });
        }
    }
    if on(RuleKind::SheetStuck) {
        for s in store::warning_rules::waiting_sheets(conn).await? {
            let stage = Stage::from_code(&s.stage)
                .map_err(|e| Error::Internal(corrupt("sheet stage", e)))?;
            // A draft that never moved is the round's to chase by its deadline; one sent back
            // to 自查 waits on its holder, one further up on the unit.
            let since = match (s.since, stage) {
                (None, Stage::SelfCheck) => continue,
                (since, _) => since.unwrap_or(s.updated_at),
            };
            let unit = OrgUnitId(s.unit_id);
            facts.push(Fact::Sheet {
                sheet_id: s.sheet_id,
                to: if stage == Stage::SelfCheck {
                    Addressee::of_post(unit, &users(&s.holders))
                } else {
                    Addressee { unit, person: None }
                },
                post: s.post,
                stage,
                since: IsoDate::of_instant(since),
            });
        }
    }
    if on(RuleKind::ObjectionUpheld) {
        for o in store::warning_rules::upheld_objections(conn).await? {
            facts.push(Fact::Objection {
                id: o.id,
                to: Addressee::of_post(OrgUnitId(o.unit_id), &users(&o.holders)),
                post: o.post,
                response: o.response,
                resolved_on: IsoDate::of_instant(o.resolved_at),
            });
        }
    }
    if on(RuleKind::TalkMissing) {
        facts.extend(crate::education::facts(conn, today).await?);
    }
    if on(RuleKind::ResidualFlag) {
        let sheets = store::warning_rules::published_sheets(conn).await?;
        let ids: Vec<i64> = sheets.iter().map(|s| s.sheet_id).collect();
        let mut points = store::points::on_sheets(conn, &ids).await?;
        for sheet in sheets {
            let to = Addressee::of_post(OrgUnitId(sheet.unit_id), &users(&sheet.holders));
            let published_on = IsoDate::of_instant(sheet.published_at);
            for record in points.remove(&sheet.sheet_id).unwrap_or_default() {
                let point = record.input.validate().map_err(|e| {
                    Error::Internal(corrupt("risk point", format!("{:?}", e.first())))
                })?;
                facts.extend(Fact::residuals(
                    &record.id.to_string(),
                    to,
                    &sheet.post,
                    &point,
                    published_on,
                    today,
                ));
            }
        }
    }
    let raised: HashSet<String> = store::warnings::raised_causes(conn)
        .await?
        .into_iter()
        .collect();
    let findings = rules::evaluate(&rules, &facts, &raised, today);
    for finding in &findings {
        let new = NewWarningRow {
            year: i64::from(today.year()),
            unit_id: finding.to.unit.0,
            subject_id: finding.to.person.map(|p| p.0),
            issuer_id: None,
            level: finding.level,
            handling: finding.handling,
            source: Source::Rule,
            source_ref: None,
            reason: &finding.reason,
            due: today.add_days(i64::from(finding.level.answer_days())),
            rule: Some((finding.kind, &finding.cause)),
            now,
        };
        let details = json!({
            "rule": finding.kind.code(),
            "cause": finding.cause,
            "unit": finding.to.unit.0,
            "subject": finding.to.person.map(|p| p.0),
            "level": finding.level.code(),
            "handling": finding.handling.code(),
            "source": Source::Rule.code(),
            "reason": finding.reason,
            "due": new.due.to_string(),
        });
        let (id, number) = record::open(conn, org, &new, details).await?;
        tracing::info!(warning = id, %number, rule = finding.kind.code(), "rule raised a warning");
    }
    Ok(findings.len())
}

fn users(ids: &[i64]) -> Vec<UserId> {
    ids.iter().copied().map(UserId).collect()
}
