//! The pages of the app, one file each.

mod account;
mod accounts;
mod audit;
mod check;
mod commitment;
mod handbook;
mod home;
mod import;
mod login;
mod meeting;
mod not_found;
mod public;
mod review;
mod rollup;
mod sheet;
mod template;
mod verify;
mod widgets;

pub use account::AccountPage;
pub use accounts::AccountsPage;
pub use audit::AuditPage;
pub use check::CheckPage;
pub use commitment::CommitmentPage;
pub use handbook::HandbookPage;
pub use home::HomePage;
pub use import::ImportPage;
pub use login::LoginPage;
pub use meeting::MeetingPage;
pub use not_found::NotFound;
pub use public::{PublicIndexPage, PublicUnitPage};
pub use rollup::RollupPage;
pub use sheet::SheetPage;
pub use template::TemplatePage;
pub use verify::VerifyPage;
