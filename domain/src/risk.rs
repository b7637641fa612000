//! The parts of a risk point (风险点): category, power type, ratings and level, and prevention
//! measures (防控措施). A whole risk point as entered is `sync::ValidRiskPoint`.

mod category;
mod date;
mod measure;
pub mod progress;
mod rating;
mod residual;

pub use category::{PowerKind, PowerType, RiskCategory};
pub use date::IsoDate;
pub use measure::{Measure, MeasureKind, MeasureStatus, LIST_SEPARATORS};
pub use rating::{MatrixCells, RatingMatrix, Ratings, RiskLevel, Score};
pub use residual::{Residual, ResidualFlag};
