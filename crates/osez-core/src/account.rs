//! Accounts of the back office: roles, e-mail addresses, passwords, and
//! the SIRET check of adviser applications.

use serde::{Deserialize, Serialize};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts and sessions of others.
    Admin,
    /// Resources, webinars, adviser profiles.
    Editor,
    /// Abuse reports and consultation proposals.
    Moderator,
    /// Their own profile only.
    Adviser,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Admin, Role::Editor, Role::Moderator, Role::Adviser];

    pub fn slug(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
            Role::Adviser => "adviser",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrateur",
            Role::Editor => "Éditeur",
            Role::Moderator => "Modérateur",
            Role::Adviser => "Conseiller",
        }
    }

    pub fn from_slug(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.slug() == s)
    }

    /// Admins must use a second factor.
    pub fn requires_totp(self) -> bool {
        self == Role::Admin
    }
}

/// An e-mail address: trimmed, lower-cased, one `@`, a dot in the domain,
/// no spaces or control characters, 254 characters at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("adresse e-mail invalide")]
    BadEmail,
    #[error("le mot de passe doit compter au moins 8 caractères")]
    PasswordTooShort,
    #[error("le mot de passe doit compter au plus 128 caractères")]
    PasswordTooLong,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AccountError> {
        let s = raw.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if ok { Ok(Email(s)) } else { Err(AccountError::BadEmail) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 8 to 128 characters, no composition rules (as NIST
/// SP 800-63B and the ANSSI advise: length, not complexity).
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, AccountError> {
        match raw.chars().count() {
            n if n < 8 => Err(AccountError::PasswordTooShort),
            n if n > 128 => Err(AccountError::PasswordTooLong),
            _ => Ok(NewPassword(raw.to_string())),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A SIRET is 14 digits whose Luhn sum is a multiple of 10 (La Poste's
/// establishments, SIREN 356000000, follow another rule: sum multiple of 5).
pub fn siret_is_valid(raw: &str) -> bool {
    let digits: Vec<u32> =
        raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_digit(10)).collect::<Option<_>>().unwrap_or_default();
    if digits.len() != 14 {
        return false;
    }
    let luhn: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    let la_poste = digits[..9] == [3, 5, 6, 0, 0, 0, 0, 0, 0];
    if la_poste { digits.iter().sum::<u32>() % 5 == 0 } else { luhn.is_multiple_of(10) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Camille.Martin@Exemple.FR ").unwrap().as_str(), "camille.martin@exemple.fr");
        for bad in [
            "",
            "camille",
            "camille@",
            "@exemple.fr",
            "a@b",
            "a b@exemple.fr",
            "a@exemple..fr",
            "a@@exemple.fr",
            "a@exemple.fr\r\nBcc: x@y.z",
        ] {
            assert_eq!(Email::parse(bad), Err(AccountError::BadEmail), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_judged_by_length_only() {
        assert_eq!(NewPassword::parse("court").unwrap_err(), AccountError::PasswordTooShort);
        assert!(NewPassword::parse("toutes minuscules").is_ok());
        assert!(NewPassword::parse("éééééééé").is_ok(), "8 characters, 16 bytes");
        assert_eq!(NewPassword::parse(&"x".repeat(129)).unwrap_err(), AccountError::PasswordTooLong);
        assert_eq!(format!("{:?}", NewPassword::parse("secret-secret").unwrap()), "NewPassword(***)");
    }

    #[test]
    fn siret_keys() {
        assert!(siret_is_valid("73282932000074"), "a real, published SIRET");
        assert!(siret_is_valid("732 829 320 00074"));
        assert!(!siret_is_valid("73282932000075"), "bad key");
        assert!(!siret_is_valid("7328293200007"), "13 digits");
        assert!(!siret_is_valid("7328293200007A"));
        // La Poste (SIREN 356000000): digit sum a multiple of 5 (a made-up establishment number).
        assert!(siret_is_valid("35600000000001"));
        assert!(!siret_is_valid("35600000000002"));
    }
}

/// Argon2id parameters: at least the OWASP minimum (19 MiB, 2 passes).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

fn argon2() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .expect("constant Argon2 parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password with Argon2id; the caller brings 16 random bytes of
/// salt (this crate does no I/O). Returns the PHC string.
pub fn hash_password(password: &NewPassword, salt: &[u8; 16]) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(salt).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("Argon2 with valid parameters does not fail")
        .to_string()
}

/// Checks a password against a PHC string, with the parameters the string
/// carries (older hashes keep working after the parameters change).
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that a
/// wrong e-mail takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&NewPassword("decoy password".into()), &[0x5a; 16]))
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn argon2id_with_at_least_19_mib_and_2_passes() {
        let hash = hash_password(&NewPassword::parse("correct horse battery").unwrap(), &[1; 16]);
        let parsed = argon2::password_hash::PasswordHash::new(&hash).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let param = |name: &str| parsed.params.get_decimal(name).unwrap();
        assert!(param("m") >= 19 * 1024, "memory {} KiB", param("m"));
        assert!(param("t") >= 2, "passes {}", param("t"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterie", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("decoy", decoy_hash()));
        assert_ne!(hash, hash_password(&NewPassword::parse("correct horse battery").unwrap(), &[2; 16]), "salted");
    }
}

/// TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of clock
/// drift either way, as authenticator apps expect.
pub mod totp {
    use totp_rs::{Algorithm, Secret, TOTP};

    pub const STEP_SECS: u64 = 30;

    /// A secret in base32, as typed into an authenticator app, from 20
    /// random bytes brought by the caller.
    pub fn secret_base32(random: &[u8; 20]) -> String {
        Secret::Raw(random.to_vec()).to_encoded().to_string()
    }

    fn totp(secret_base32: &str) -> Option<TOTP> {
        let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
        TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS, bytes).ok()
    }

    /// The code of a given time (for tests and enrolment checks).
    pub fn code_at(secret_base32: &str, unix_secs: u64) -> Option<String> {
        totp(secret_base32).map(|t| t.generate(unix_secs))
    }

    /// The `otpauth://` address an app can read.
    pub fn otpauth_url(secret_base32: &str, account: &str) -> Option<String> {
        totp(secret_base32).map(|t| {
            format!(
                "otpauth://totp/Osez:{account}?secret={}&issuer=Osez&algorithm=SHA1&digits=6&period=30",
                t.get_secret_base32()
            )
        })
    }

    /// The time step a code belongs to, if it is valid now (one step of
    /// drift either way) and later than `last_step`: a code is never
    /// accepted twice.
    pub fn accepted_step(secret_base32: &str, code: &str, unix_secs: u64, last_step: Option<i64>) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let t = totp(secret_base32)?;
        let now_step = unix_secs / STEP_SECS;
        [now_step.saturating_sub(1), now_step, now_step + 1]
            .into_iter()
            .filter(|&s| last_step.is_none_or(|l| s as i64 > l))
            .find(|&s| t.generate(s * STEP_SECS) == code)
            .map(|s| s as i64)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn codes_are_checked_with_drift_and_never_twice() {
            let secret = secret_base32(&[7; 20]);
            let now = 1_800_000_000;
            let code = code_at(&secret, now).unwrap();
            let step = accepted_step(&secret, &code, now, None).expect("valid now");
            assert_eq!(step as u64, now / STEP_SECS);
            assert_eq!(accepted_step(&secret, &code, now, Some(step)), None, "replayed");
            assert!(accepted_step(&secret, &code, now + 30, None).is_some(), "one step late");
            assert_eq!(accepted_step(&secret, &code, now + 90, None), None, "too late");
            assert_eq!(accepted_step(&secret, "12345", now, None), None);
            assert_eq!(accepted_step(&secret, "abcdef", now, None), None);
            assert!(otpauth_url(&secret, "a@b.fr").unwrap().starts_with("otpauth://totp/Osez:a@b.fr?secret="));
        }
    }
}
