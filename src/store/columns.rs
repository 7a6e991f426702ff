//! Conversions of stored columns shared by several tables.
use super::StoreError;
use crate::domain::ClaimsRequest;

/// The stored form of a claims request: NULL when there is none.
pub(super) fn claims_column(claims: &ClaimsRequest) -> Option<String> {
    (!claims.is_empty()).then(|| claims.to_json())
}

pub(super) fn claims_of(
    table: &'static str,
    stored: Option<&str>,
) -> Result<ClaimsRequest, StoreError> {
    stored
        .map(ClaimsRequest::from_json)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(StoreError::corrupt(table, "claims"))
}
