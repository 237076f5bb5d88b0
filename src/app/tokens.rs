//! API tokens: made for a user, shown once, kept only as a SHA-256.

use serde::Serialize;

use super::caller::Caller;
use super::{App, Result};
use crate::domain::Email;
use crate::domain::scope::Scopes;

/// The lifetime of a token made without `--expires`.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
use crate::domain::stamp::Stamp;

/// A token as its owner sees it in a list: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub user: String,
    pub created_at: Stamp,
    pub expires_at: Option<Stamp>,
    pub revoked_at: Option<Stamp>,
    pub last_used_at: Option<Stamp>,
    /// Space-separated, or `*` for a token made before scopes (every scope).
    pub scopes: String,
}

impl App {
    /// Creates an API token for `user` with `scopes`: returns its id and
    /// the secret, which is never stored (only its SHA-256).
    pub async fn create_token(
        &self,
        user: &str,
        name: &str,
        expires_at: Option<&str>,
        scopes: &Scopes,
    ) -> Result<(i64, String)> {
        let token = format!("dtap_{}", crate::random::hex::<32>()?);
        let id = self
            .store
            .create_token(
                name,
                user,
                &super::signoff::token_hash(&token),
                expires_at,
                scopes.stored().as_deref(),
            )
            .await?;
        Ok((id, token))
    }

    /// The user a bearer token acts as, if it is valid.
    pub async fn token_user(&self, token: &str) -> Result<Option<Email>> {
        Ok(self.token_grant(token).await?.map(|(user, _)| user))
    }

    /// The user a bearer token acts as and what it may do, if it is valid.
    pub async fn token_grant(&self, token: &str) -> Result<Option<(Email, Scopes)>> {
        match self.store.token_user(&super::signoff::token_hash(token)).await? {
            Some((user, scopes)) => Ok(Some((
                super::caller::stored_email(&user)?,
                Scopes::from_stored(scopes.as_deref()),
            ))),
            None => Ok(None),
        }
    }

    /// The caller's tokens, newest first.
    pub async fn tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>> {
        Ok(self
            .store
            .tokens(Some(&caller.email))
            .await?
            .into_iter()
            .map(|t| ApiToken {
                id: t.id,
                name: t.name,
                user: t.user,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
                last_used_at: t.last_used_at,
                scopes: Scopes::from_stored(t.scopes.as_deref()).shown(),
            })
            .collect())
    }

    /// Revokes one of the caller's own tokens; false when they have no such active token.
    pub async fn revoke_token(&self, caller: &Caller, id: i64) -> Result<bool> {
        Ok(self.store.revoke_token(id, &caller.email).await?)
    }
}
