//! The instructors' dashboard's paging rules, shared by the query and the
//! page.

/// Rows per dashboard page.
pub const PAGE_SIZE: i64 = 25;

/// Last dashboard page reachable (bounded pagination: search or filter to go
/// further).
pub const MAX_PAGE: i64 = 400;
