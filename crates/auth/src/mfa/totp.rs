//! TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits), base32 (RFC 4648) and the otpauth URI that
//! authenticator apps scan.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32, ignoring case, spaces and `=` padding; `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The 6-digit code for time step `step`.
pub fn code(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX; // HMAC takes any key length; never reached
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[off]) & 0x7f) << 24
        | u32::from(h[off + 1]) << 16
        | u32::from(h[off + 2]) << 8
        | u32::from(h[off + 3]);
    bin % 1_000_000
}

/// The step whose code `input` is, within one step either side of `now_secs`, and only if it
/// is later than `last_step` (a code is accepted once). Constant work whatever matches.
pub fn verify(secret: &[u8], input: &str, now_secs: i64, last_step: Option<i64>) -> Option<i64> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let want: u32 = digits.parse().ok()?;
    let now = now_secs.div_euclid(STEP_SECS);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        let fresh = last_step.is_none_or(|l| step > l);
        if code(secret, step) == want && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=…` with both parts percent-encoded.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        // The RFC lists 8-digit codes; 6-digit codes are their last six digits.
        for (t, want) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(code(RFC_SECRET, t / STEP_SECS), want, "t={t}");
        }
    }

    #[test]
    fn verification_window_and_replay() {
        let now = 1_234_567_890;
        let step = now / STEP_SECS;
        let c = format!("{:06}", code(RFC_SECRET, step - 1));
        assert_eq!(
            verify(RFC_SECRET, &c, now, None),
            Some(step - 1),
            "previous step accepted"
        );
        assert_eq!(
            verify(RFC_SECRET, &c, now, Some(step - 1)),
            None,
            "not twice"
        );
        let old = format!("{:06}", code(RFC_SECRET, step - 3));
        assert_eq!(verify(RFC_SECRET, &old, now, None), None, "too old");
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", now, None), None);
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi==").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZX1"), None);
        let uri = otpauth_uri("Ops-Center", "a b@x.io", "MZXW6YTBOI");
        assert!(uri.starts_with(
            "otpauth://totp/Ops-Center:a%20b%40x.io?secret=MZXW6YTBOI&issuer=Ops-Center"
        ));
    }
}
