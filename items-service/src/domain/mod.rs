//! Types that are valid once built.

mod item_name;
mod price;

pub use item_name::ItemName;
pub use price::Price;
