//! Domain types that are stored as TEXT: they are encoded from their string form and parsed
//! again when read, on both engines, so typed values travel all the way into the store and
//! a malformed row shows up as a decode error, not as a bad value further up.

/// Implements sqlx `Type`, `Encode` and `Decode` (any engine whose `str` is TEXT) for a type
/// with `as_str(&self) -> &str` and a parser `fn(&str) -> Result<Self, impl Display>`.
#[macro_export]
macro_rules! text_column {
    ($ty:ty, $parse:expr) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.as_str().to_owned(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                let parse: fn(&str) -> Result<$ty, _> = $parse;
                // The value itself stays out of the message: it may be a case number.
                parse(text).map_err(|e| format!("stored {}: {e}", stringify!($ty)).into())
            }
        }
    };
}

text_column!(
    crate::state_code::StateCode,
    crate::state_code::StateCode::parse
);
text_column!(
    crate::reports::case_number::CaseNumber,
    crate::reports::case_number::CaseNumber::parse
);
text_column!(super::jobs::JobKind, super::jobs::JobKind::parse);
