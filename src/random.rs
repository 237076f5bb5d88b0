//! Every random value dtap draws (link and login tokens, API tokens, the
//! server secret, intent ids, Message-IDs, retry jitter) comes from here,
//! with one failure policy: the caller gets an error and stops. A token
//! drawn from a failing generator would be guessable, so there is no
//! fallback and no `expect`.

/// The operating system's generator gave nothing.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct NoRandomness(String);

/// `N` bytes from the operating system's generator.
pub fn bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(b)
}

/// A secret of `N` random bytes as lower-case hex (2 × `N` characters).
/// Tokens use `N = 32` (256 bits); ids that only need to be unique use 16.
pub fn hex<const N: usize>() -> Result<String, NoRandomness> {
    Ok(::hex::encode(bytes::<N>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_of_the_asked_length_and_differ() {
        let a = hex::<32>().unwrap();
        let b = hex::<32>().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_eq!(hex::<16>().unwrap().len(), 32);
    }
}
