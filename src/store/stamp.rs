//! `Stamp` in and out of the database: stored as its fixed-width text, read
//! back through `Stamp::parse`, so a malformed value in a row is a decode
//! error naming the value, never a panic further up.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;

use crate::domain::stamp::Stamp;

impl sqlx::Type<Any> for Stamp {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Stamp {
    fn decode(value: AnyValueRef<'r>) -> Result<Stamp, BoxDynError> {
        let text = <String as sqlx::Decode<Any>>::decode(value)?;
        Ok(Stamp::parse(&text)?)
    }
}

impl<'q> sqlx::Encode<'q, Any> for Stamp {
    fn encode_by_ref(&self, buf: &mut <Any as sqlx::Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <String as sqlx::Encode<'q, Any>>::encode(self.to_string(), buf)
    }
}
