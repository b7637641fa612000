//! The pages of the app, one file each.

mod check;
mod handbook;
mod home;
mod import;
mod login;
mod meeting;
mod not_found;
mod public;
mod review;
mod sheet;
mod widgets;

pub use check::CheckPage;
pub use handbook::HandbookPage;
pub use home::HomePage;
pub use import::ImportPage;
pub use login::LoginPage;
pub use meeting::MeetingPage;
pub use not_found::NotFound;
pub use public::{PublicIndexPage, PublicUnitPage};
pub use sheet::SheetPage;
