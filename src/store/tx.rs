//! A write transaction that knows its moment: every row it writes carries
//! the same time, taken once from the store's clock when it began.

use std::ops::{Deref, DerefMut};

use super::{Conn, Db, Result};
use crate::domain::stamp::Stamp;

pub struct WriteTx {
    tx: sqlx::Transaction<'static, Db>,
    at: Stamp,
}

impl WriteTx {
    pub(super) fn new(tx: sqlx::Transaction<'static, Db>, at: Stamp) -> WriteTx {
        WriteTx { tx, at }
    }

    /// When this transaction happens, by the store's clock.
    pub fn at(&self) -> Stamp {
        self.at
    }

    /// `at` as stored.
    pub(crate) fn stamp(&self) -> String {
        self.at.to_string()
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    pub async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}
