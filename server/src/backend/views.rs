//! Stored records as the pages show them.

use app::api::{MeasureView, RiskPointView, SignedView};
use domain::{
    risk::{IsoDate, MeasureKind, MeasureStatus, RiskCategory},
    sync::RiskPointRecord,
    time::china_time,
};

use crate::{error::corrupt, store};

/// A stored risk point for a page, flagged as of `today`.
pub fn risk_point(record: RiskPointRecord, today: IsoDate) -> anyhow::Result<RiskPointView> {
    let valid = record.input.validate().map_err(|e| {
        corrupt(
            "risk point",
            e.first().map(|e| e.message.clone()).unwrap_or_default(),
        )
    })?;
    let flags = valid.residual_flags(today);
    let residual = valid.residual.map(|r| (r.likelihood.get(), r.impact.get()));
    let input = record.input;
    let measures = input
        .measures
        .into_iter()
        .map(|m| {
            Ok(MeasureView {
                kind: MeasureKind::parse(&m.kind).map_err(|e| corrupt("measure kind", e))?,
                text: m.text,
                owner: Some(m.owner).filter(|o| !o.is_empty()),
                due: Some(m.due).filter(|d| !d.is_empty()),
                status: MeasureStatus::parse(&m.status)
                    .map_err(|e| corrupt("measure status", e))?,
                done_on: Some(m.done_on).filter(|d| !d.is_empty()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(RiskPointView {
        id: record.id.to_string(),
        duty: Some(input.duty).filter(|d| !d.is_empty()),
        description: input.description,
        manifestation: Some(input.manifestation).filter(|m| !m.is_empty()),
        category: RiskCategory::parse(&input.category).map_err(|e| corrupt("category", e))?,
        power_type: input.power_type,
        likelihood: score(input.likelihood),
        impact: score(input.impact),
        frequency: score(input.frequency),
        level: record.level,
        residual,
        flags,
        measures,
    })
}

/// Stored risk points for a page, in order, flagged as of today.
pub fn risk_points(records: Vec<RiskPointRecord>) -> anyhow::Result<Vec<RiskPointView>> {
    let today = IsoDate::of_instant(crate::db::now_ms());
    records.into_iter().map(|r| risk_point(r, today)).collect()
}

fn score(value: i64) -> u8 {
    u8::try_from(value).unwrap_or(0)
}

/// The signature of a signed commitment, as its pages show it.
pub fn signed(s: &store::commitments::Signed) -> Option<SignedView> {
    let (kind, signature, signed_at, seal) = (
        s.kind.clone()?,
        s.signature.clone()?,
        s.signed_at?,
        s.seal.clone()?,
    );
    let strokes = if kind == "drawn" {
        serde_json::from_str(&signature).unwrap_or_default()
    } else {
        Vec::new()
    };
    Some(SignedView {
        typed_name: (kind == "typed").then(|| signature.clone()),
        kind,
        strokes,
        signer_name: s.signer_name.clone().unwrap_or_default(),
        signed_at: china_time(signed_at),
        device_signed_at: s.device_signed_at.map(china_time),
        seal,
    })
}

/// The QR code of `text` as an SVG path of unit squares, and the side of its square.
pub fn qr_path(text: &str) -> (u32, String) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return (0, String::new());
    };
    let width = code.width();
    let quiet = 2;
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    (u32::try_from(width + 2 * quiet).unwrap_or(0), path)
}
