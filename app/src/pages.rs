//! The pages of the app, one file each.

mod check;
mod home;
mod login;
mod not_found;
mod sheet;
mod widgets;

pub use check::CheckPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use sheet::SheetPage;
