//! HTTP plumbing shared by all routes: middleware, page context, error pages.

pub mod errors;
pub mod middleware;
pub mod page;
