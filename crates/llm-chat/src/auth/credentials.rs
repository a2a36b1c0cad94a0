//! Usernames and passwords parsed at the edge: once a value has one of these
//! types it is known to be acceptable, and deeper code never re-checks it.

use std::fmt;

/// Why a username or password was refused, in words for the person typing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidCredential {
    pub field: &'static str,
    pub message: String,
}

/// 3 to 32 letters (any script, so Chinese names work), digits, `_`, `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Username, InvalidCredential> {
        let name = raw.trim();
        let chars = name.chars().count();
        let invalid = |message: String| InvalidCredential {
            field: "username",
            message,
        };
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(invalid(format!(
                "the username must have {} to {} characters",
                Self::MIN_CHARS,
                Self::MAX_CHARS
            )));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(invalid(format!(
                "the username may only hold letters, digits, '_', '-' and '.', not {bad:?}"
            )));
        }
        Ok(Username(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 8 to 256 characters. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<NewPassword, InvalidCredential> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(InvalidCredential {
                field: "password",
                message: format!(
                    "the password must have {} to {} characters",
                    Self::MIN_CHARS,
                    Self::MAX_CHARS
                ),
            });
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_usernames_are_accepted() {
        assert_eq!(Username::parse(" 张小明 ").unwrap().as_str(), "张小明");
    }

    #[test]
    fn short_long_and_odd_usernames_are_refused() {
        for bad in ["ab", "a b c", "x".repeat(33).as_str(), "bob<script>"] {
            assert_eq!(Username::parse(bad).unwrap_err().field, "username", "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("密码密码密码密码").is_ok());
    }
}
