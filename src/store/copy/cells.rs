//! One value on its way from the source to the target: read as what the
//! source holds, written as what the target's column is.
//!
//! SQLite keeps a value's own type whatever the column says, so the value
//! is read by its own type first and converted only when the target wants
//! the other one: a number into a text column becomes its digits; text into
//! a number column must be a whole number.

use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Row, TypeInfo, Value, ValueRef};

/// A column's type on the target, as far as dtap's schema goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    /// Bytes (an attachment's chunk): BLOB on SQLite, BYTEA on PostgreSQL.
    Bytes,
}

pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Column `i` of `row` as the target's `kind` wants it, or what was found
/// instead (for the error message).
pub fn read_cell(row: &AnyRow, i: usize, kind: Kind) -> Result<Cell, String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(match kind {
            Kind::Int => Cell::Int(None),
            Kind::Text => Cell::Text(None),
            Kind::Bytes => Cell::Bytes(None),
        });
    }
    let found = raw.type_info().kind();
    let value = ValueRef::to_owned(&raw);
    if kind == Kind::Bytes {
        return match found {
            AnyTypeInfoKind::Blob => Ok(Cell::Bytes(Some(value.try_decode().map_err(|e| e.to_string())?))),
            AnyTypeInfoKind::Text => {
                let s: String = value.try_decode().map_err(|e| e.to_string())?;
                Ok(Cell::Bytes(Some(s.into_bytes())))
            }
            _ => Err(format!(
                "the source holds a value of type {} where the target wants bytes",
                raw.type_info().name()
            )),
        };
    }
    // Bytes were handled above.
    match (found, kind) {
        (AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt, _) => {
            let n: i64 = value.try_decode().map_err(|e| e.to_string())?;
            Ok(match kind {
                Kind::Int => Cell::Int(Some(n)),
                Kind::Text | Kind::Bytes => Cell::Text(Some(n.to_string())),
            })
        }
        (AnyTypeInfoKind::Bool, _) => {
            let b: bool = value.try_decode().map_err(|e| e.to_string())?;
            Ok(match kind {
                Kind::Int => Cell::Int(Some(i64::from(b))),
                Kind::Text | Kind::Bytes => Cell::Text(Some(i64::from(b).to_string())),
            })
        }
        (AnyTypeInfoKind::Text, _) => {
            let s: String = value.try_decode().map_err(|e| e.to_string())?;
            match kind {
                Kind::Text | Kind::Bytes => Ok(Cell::Text(Some(s))),
                Kind::Int => s
                    .trim()
                    .parse()
                    .map(|n| Cell::Int(Some(n)))
                    .map_err(|_| format!("the source holds the text {s:?} where the target wants a whole number")),
            }
        }
        (AnyTypeInfoKind::Real | AnyTypeInfoKind::Double, _) => {
            let f: f64 = value.try_decode().map_err(|e| e.to_string())?;
            match kind {
                Kind::Text | Kind::Bytes => Ok(Cell::Text(Some(f.to_string()))),
                Kind::Int if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Cell::Int(Some(f as i64))),
                Kind::Int => Err(format!(
                    "the source holds the fraction {f} where the target wants a whole number"
                )),
            }
        }
        (other, _) => Err(format!(
            "the source holds a value of type {} ({other:?}), which dtap never writes",
            raw.type_info().name()
        )),
    }
}
