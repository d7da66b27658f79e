//! Types that are valid once built: a request becomes these before any
//! store or hash call.

mod email;
mod factors;
mod grant_type;
mod password;
pub mod redirect_uri;
pub mod scope;
pub mod totp;
mod username;

pub use email::{EmailAddress, MAX_EMAIL_BYTES};
pub use factors::{AAL1, AAL2, Factors, SignedIn};
pub use grant_type::GrantType;
pub use password::{MAX_PASSWORD_BYTES, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewPassword};
pub use username::Username;
