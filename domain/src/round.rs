//! Rounds of risk identification (排查批次): a named campaign with a scope and a deadline.

use serde::{Deserialize, Serialize};

use crate::{
    ids::{OrgUnitId, RoundId},
    risk::{IsoDate, RatingMatrix},
    text::RoundName,
    FieldError,
};

/// A round, e.g. "2026 年度排查". Pilots run first, then the district-wide round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: RoundId,
    pub name: RoundName,
    pub year: u16,
    /// The units (and everything beneath them) taking part.
    pub scope: Vec<OrgUnitId>,
    pub deadline: IsoDate,
    pub pilot: bool,
    /// The matrix the round's sheets are rated with, stored with the round so a later change of
    /// the district's matrix never rewrites this round's levels.
    pub matrix: RatingMatrix,
}

/// Checks a round's year.
pub fn parse_year(value: i64) -> Result<u16, FieldError> {
    if (2000..=2100).contains(&value) {
        Ok(value as u16)
    } else {
        Err(FieldError::new(
            "out_of_range",
            "year",
            format!("年度须在 2000 到 2100 之间（现为 {value}）"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_year_outside_the_plausible_range_is_refused() {
        assert_eq!(parse_year(2026).unwrap(), 2026);
        assert_eq!(parse_year(26).unwrap_err().field, "year");
    }
}
