//! What keeps robots out of the contact forms, with no third party: a
//! honeypot field, a minimum time to fill the form, and a challenge that is
//! either an ALTCHA proof of work (the widget served by this binary solves
//! it in the browser) or, without JavaScript, a question in words. Both are
//! signed, expire, and are spent once (the store keeps their keys).
//!
//! Rejected: a third-party CAPTCHA (sends visitors' data elsewhere), an
//! image CAPTCHA (fails blind people), and the widget alone (fails people
//! without JavaScript).

use std::time::Duration;

use altcha::{CreateChallengeOptions, Payload, VerifySolutionOptions};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use osez_store::SpentChallenge;
use rand::Rng;
use sha2::Sha256;

use crate::kit::forms::FormList;
use crate::kit::pool::{CpuPool, PoolError};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{Secrets, hex, now_ms, token_issued, unhex};

/// How long a challenge may wait before it is used.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(2 * 3600);
/// The honeypot: a field people do not see and robots fill.
pub const HONEYPOT: &str = "site_web";

type HmacSha256 = Hmac<Sha256>;

/// The key that signs challenges, derived from the form key so that every
/// node shares it.
fn challenge_key(secrets: &Secrets, purpose: &str) -> String {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&secrets.form_key).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Why a challenge was refused; the message is for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    Missing,
    Invalid,
    Expired,
    WrongAnswer,
    /// Every worker that checks proofs of work stayed busy; nothing was
    /// spent, the same form can be sent again.
    Busy,
}

impl ChallengeError {
    pub fn message(self) -> &'static str {
        match self {
            ChallengeError::Missing => {
                "Cochez la case « Je ne suis pas un robot » ou répondez à la question de vérification."
            }
            ChallengeError::Invalid => {
                "La vérification anti-robot a échoué. Recommencez-la, puis renvoyez le formulaire."
            }
            ChallengeError::Expired => {
                "La vérification anti-robot a expiré ou a déjà servi. Recommencez-la, puis renvoyez le formulaire."
            }
            ChallengeError::WrongAnswer => {
                "La réponse à la question de vérification est inexacte. Répondez à la nouvelle question, en chiffres."
            }
            ChallengeError::Busy => {
                "Le service est très demandé en ce moment : rien n'a été enregistré. Renvoyez le formulaire dans quelques secondes."
            }
        }
    }
}

/// A fresh proof-of-work challenge, as the widget fetches it (JSON).
pub fn new_altcha_challenge(secrets: &Secrets, cost: u32) -> Result<altcha::Challenge, altcha::Error> {
    let expires = (now_ms() / 1000) + CHALLENGE_TTL.as_secs() as i64;
    altcha::create_challenge(CreateChallengeOptions {
        algorithm: "PBKDF2/SHA-256".into(),
        cost,
        // The server picks the counter the browser must find: the work is
        // known in advance (deterministic mode).
        counter: Some(rand::rng().random_range(cost.max(1)..=cost.max(1) * 2)),
        expires_at: Some(expires),
        hmac_signature_secret: Some(challenge_key(secrets, "altcha-signature")),
        hmac_key_signature_secret: Some(challenge_key(secrets, "altcha-key")),
        ..Default::default()
    })
}

/// Checks the widget's payload (base64 of JSON); the key to spend.
pub fn verify_altcha(secrets: &Secrets, payload: &str) -> Result<SpentChallenge, ChallengeError> {
    let bytes = BASE64.decode(payload.trim()).map_err(|_| ChallengeError::Invalid)?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| ChallengeError::Invalid)?;
    let result = altcha::verify_solution(VerifySolutionOptions {
        hmac_key_signature_secret: Some(challenge_key(secrets, "altcha-key")),
        ..VerifySolutionOptions::new(&payload.challenge, &payload.solution, challenge_key(secrets, "altcha-signature"))
    })
    .map_err(|_| ChallengeError::Invalid)?;
    if result.expired {
        return Err(ChallengeError::Expired);
    }
    if !result.verified {
        return Err(ChallengeError::Invalid);
    }
    let expires_at_ms = payload.challenge.parameters.expires_at.ok_or(ChallengeError::Invalid)? * 1000;
    let signature = payload.challenge.signature.ok_or(ChallengeError::Invalid)?;
    Ok(SpentChallenge { key: format!("altcha:{signature}"), expires_at_ms })
}

const NUMBERS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];

/// The question for people without JavaScript: a sum in words, and the
/// signed token that carries it (`ISSUED.NONCE.HMAC`). The token does not
/// hold the numbers: the HMAC covers the sum, so only the right answer
/// checks, and a robot must read the French to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub token: String,
}

fn question_mac(secrets: &Secrets, head: &str, sum: u32) -> Vec<u8> {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(challenge_key(secrets, "question").as_bytes()).expect("any key");
    mac.update(format!("{head}.{sum}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub fn new_question(secrets: &Secrets) -> Question {
    let mut rng = rand::rng();
    let (a, b) = (rng.random_range(1..=9usize), rng.random_range(1..=9usize));
    let nonce: [u8; 12] = rng.random();
    let head = format!("{}.{}", now_ms() / 1000, hex(&nonce));
    Question {
        text: format!("Combien font {} plus {} ? Répondez en chiffres.", NUMBERS[a], NUMBERS[b]),
        token: format!("{head}.{}", hex(&question_mac(secrets, &head, (a + b) as u32))),
    }
}

/// The key a question's token is spent under, and until when; `None` if
/// the token is not one, is expired or comes from the future. A wrong
/// answer spends it too: a robot cannot try every sum on one question.
pub fn question_key(token: &str) -> Result<SpentChallenge, ChallengeError> {
    let mut parts = token.trim().split('.');
    let (Some(issued), Some(nonce), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(ChallengeError::Invalid);
    };
    let issued: i64 = issued.parse().map_err(|_| ChallengeError::Invalid)?;
    // Issued before 1970 is forged, and would overflow the milliseconds
    // below.
    if unhex(nonce).is_none_or(|n| n.len() != 12) || !(0..=now_ms() / 1000 + 60).contains(&issued) {
        return Err(ChallengeError::Invalid);
    }
    let expires_at_ms = (issued + CHALLENGE_TTL.as_secs() as i64) * 1000;
    if expires_at_ms < now_ms() {
        return Err(ChallengeError::Expired);
    }
    Ok(SpentChallenge { key: format!("question:{nonce}"), expires_at_ms })
}

/// Checks an answer to a question; the key to spend.
pub fn verify_question(secrets: &Secrets, token: &str, answer: &str) -> Result<SpentChallenge, ChallengeError> {
    let spent = question_key(token)?;
    let (head, sig) = token.trim().rsplit_once('.').ok_or(ChallengeError::Invalid)?;
    let sig = unhex(sig).ok_or(ChallengeError::Invalid)?;
    let given: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(sum) = given.parse::<u32>() else { return Err(ChallengeError::WrongAnswer) };
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(challenge_key(secrets, "question").as_bytes()).expect("any key");
    mac.update(format!("{head}.{sum}").as_bytes());
    // A wrong sum and a forged token look the same: neither checks.
    mac.verify_slice(&sig).map_err(|_| ChallengeError::WrongAnswer)?;
    Ok(spent)
}

/// The challenge a form sent: the widget's payload if there is one, else
/// the answer to the question.
pub fn verify_form_challenge(
    secrets: &Secrets,
    altcha: Option<&str>,
    question_token: Option<&str>,
    answer: Option<&str>,
) -> Result<SpentChallenge, ChallengeError> {
    match (altcha.filter(|a| !a.trim().is_empty()), question_token, answer.filter(|a| !a.trim().is_empty())) {
        (Some(payload), _, _) => verify_altcha(secrets, payload),
        (None, Some(token), Some(answer)) => verify_question(secrets, token, answer),
        _ => Err(ChallengeError::Missing),
    }
}

/// Checks the challenge a posted form carries. A wrong answer to the
/// question spends it, so that the next try needs a new question.
pub(crate) async fn checked_challenge(
    pool: &CpuPool,
    ready: &Ready,
    form: &FormList,
) -> Result<Result<SpentChallenge, ChallengeError>, osez_store::StoreError> {
    // A proof of work costs a key derivation (PBKDF2): checked on the
    // bounded CPU pool, never on the async runtime.
    let (secrets, altcha, question, answer) = (
        ready.secrets.clone(),
        form.get("altcha").map(str::to_owned),
        form.get("question").map(str::to_owned),
        form.get("reponse").map(str::to_owned),
    );
    let outcome = match pool
        .run(move || verify_form_challenge(&secrets, altcha.as_deref(), question.as_deref(), answer.as_deref()))
        .await
    {
        Ok(outcome) => outcome,
        Err(PoolError::Busy) => return Ok(Err(ChallengeError::Busy)),
        Err(PoolError::Failed(e)) => {
            tracing::error!(error = %e, "challenge check failed");
            return Ok(Err(ChallengeError::Busy));
        }
    };
    if outcome == Err(ChallengeError::WrongAnswer)
        && let Some(Ok(key)) = form.get("question").map(question_key)
    {
        ready.store.spend_challenge(&key).await?;
    }
    Ok(outcome)
}

/// The honeypot and the minimum fill time, for the public forms that take
/// a challenge (contact, abuse reports): the refusal, in French, of a form
/// a robot sent; `None` for a person.
pub(crate) fn robot_refusal(state: &AppState, form: &FormList) -> Option<&'static str> {
    if !form.get(HONEYPOT).unwrap_or("").is_empty() {
        tracing::info!("public form refused: honeypot filled");
        return Some(
            "Le formulaire n'a pas pu être envoyé : un champ caché, que seuls les robots remplissent, l'a été. Si vous êtes une personne, rechargez la page et recommencez.",
        );
    }
    let issued = form.get("jeton").and_then(token_issued).unwrap_or(0);
    let min_fill = Duration::from_secs(state.config.min_fill_secs);
    if (now_ms() / 1000) < (issued + min_fill.as_secs()) as i64 {
        return Some(
            "Le formulaire a été envoyé trop vite après son affichage. Relisez-le, puis envoyez-le de nouveau.",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use altcha::{SolveChallengeOptions, solve_challenge};

    fn secrets() -> Secrets {
        Secrets { form_key: [3; 32] }
    }

    fn solved(secrets: &Secrets) -> String {
        let challenge = new_altcha_challenge(secrets, 50).unwrap();
        let solution = solve_challenge(SolveChallengeOptions::new(&challenge)).unwrap().unwrap();
        BASE64.encode(serde_json::to_vec(&Payload { challenge, solution }).unwrap())
    }

    #[test]
    fn a_solved_challenge_passes_and_a_forged_one_does_not() {
        let payload = solved(&secrets());
        let spent = verify_altcha(&secrets(), &payload).unwrap();
        assert!(spent.key.starts_with("altcha:"));
        assert!(spent.expires_at_ms > now_ms());
        assert_eq!(verify_altcha(&Secrets { form_key: [4; 32] }, &payload), Err(ChallengeError::Invalid));
        let mut forged: serde_json::Value = serde_json::from_slice(&BASE64.decode(&payload).unwrap()).unwrap();
        let mut wrong_key = forged.clone();
        wrong_key["solution"]["derivedKey"] = serde_json::json!("00".repeat(32));
        assert_eq!(verify_altcha(&secrets(), &BASE64.encode(wrong_key.to_string())), Err(ChallengeError::Invalid));
        // A longer life written into the challenge breaks its signature.
        forged["challenge"]["parameters"]["expiresAt"] = serde_json::json!(now_ms() / 1000 + 86_400 * 365);
        assert_eq!(verify_altcha(&secrets(), &BASE64.encode(forged.to_string())), Err(ChallengeError::Invalid));
        for junk in ["", "pas du base64 !", &BASE64.encode("{}")] {
            assert_eq!(verify_altcha(&secrets(), junk), Err(ChallengeError::Invalid), "{junk}");
        }
    }

    #[test]
    fn an_expired_challenge_is_refused() {
        let challenge = altcha::create_challenge(CreateChallengeOptions {
            cost: 20,
            counter: Some(20),
            expires_at: Some(now_ms() / 1000 - 1),
            hmac_signature_secret: Some(challenge_key(&secrets(), "altcha-signature")),
            hmac_key_signature_secret: Some(challenge_key(&secrets(), "altcha-key")),
            ..Default::default()
        })
        .unwrap();
        let solution = solve_challenge(SolveChallengeOptions::new(&challenge)).unwrap().unwrap();
        let payload = BASE64.encode(serde_json::to_vec(&Payload { challenge, solution }).unwrap());
        assert_eq!(verify_altcha(&secrets(), &payload), Err(ChallengeError::Expired));
    }

    fn sum_of(text: &str) -> u32 {
        let words = text.trim_start_matches("Combien font ").split(" ?").next().unwrap();
        let (a, b) = words.split_once(" plus ").unwrap();
        let n = |w: &str| NUMBERS.iter().position(|x| *x == w).unwrap() as u32;
        n(a) + n(b)
    }

    #[test]
    fn questions_are_signed_and_answered_in_digits() {
        let q = new_question(&secrets());
        assert!(q.text.starts_with("Combien font "));
        assert_eq!(q.token.split('.').count(), 3, "the numbers are not in the token");
        let sum = sum_of(&q.text);
        assert_eq!(verify_question(&secrets(), &q.token, &(sum + 1).to_string()), Err(ChallengeError::WrongAnswer));
        assert_eq!(verify_question(&secrets(), &q.token, "dix"), Err(ChallengeError::WrongAnswer));
        let spent = verify_question(&secrets(), &q.token, &format!(" {sum} ")).unwrap();
        assert!(spent.key.starts_with("question:"));
        assert_eq!(question_key(&q.token), Ok(spent), "a wrong answer spends the same key");
        assert_eq!(
            verify_question(&Secrets { form_key: [4; 32] }, &q.token, &sum.to_string()),
            Err(ChallengeError::WrongAnswer)
        );
        for forged in ["1.2.3", "", "a.b.c", &format!("{}.{}.00", now_ms() / 1000 + 3600, "00".repeat(12))] {
            assert_eq!(verify_question(&secrets(), forged, "5"), Err(ChallengeError::Invalid), "{forged}");
        }
    }

    #[test]
    fn an_old_question_has_expired() {
        let head = format!("{}.{}", now_ms() / 1000 - CHALLENGE_TTL.as_secs() as i64 - 5, "00".repeat(12));
        let token = format!("{head}.{}", hex(&question_mac(&secrets(), &head, 5)));
        assert_eq!(verify_question(&secrets(), &token, "5"), Err(ChallengeError::Expired));
    }

    #[test]
    fn a_form_must_carry_one_challenge() {
        assert_eq!(verify_form_challenge(&secrets(), None, None, None), Err(ChallengeError::Missing));
        assert_eq!(verify_form_challenge(&secrets(), Some(" "), Some("t"), Some("")), Err(ChallengeError::Missing));
        assert!(verify_form_challenge(&secrets(), Some(&solved(&secrets())), None, None).is_ok());
    }
}
