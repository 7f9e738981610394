//! HTTP plumbing shared by all routes: middleware, page context, error pages.

pub mod assets;
pub mod csrf;
pub mod deadlines;
pub mod errors;
pub mod form_body;
pub mod middleware;
pub mod page;
pub mod rate_limit;
pub mod response;
pub mod staff_door;
pub mod staff_session;
pub mod status_limits;
