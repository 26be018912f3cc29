//! Payment codes (PROTOCOL.md 6): BIN rules, DOKU-generated codes (DGPC) and checks on
//! merchant-generated codes (MGPC).

use doku::error::{Error, Result};
use doku::validate::{Rule, ALFA_PAYMENT_CODE};

use super::errors::ApiError;

/// Which of DOKU's BIN rules a BIN falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinKind {
    /// DOKU general BIN: 1 digit + up to 19 digits.
    General,
    /// Merchant's acquirer BIN: 5 digits + up to 20 digits.
    Direct,
    /// DOKU exclusive BIN: 6 or more digits + up to 14 digits.
    Exclusive,
}

impl BinKind {
    pub fn of(bin: &str) -> Option<BinKind> {
        if bin.is_empty() || !bin.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match bin.len() {
            1 => Some(BinKind::General),
            5 => Some(BinKind::Direct),
            n if n >= 6 => Some(BinKind::Exclusive),
            _ => None,
        }
    }

    /// The most digits allowed after the BIN.
    pub fn max_free_digits(self) -> usize {
        match self {
            BinKind::General => 19,
            BinKind::Direct => 20,
            BinKind::Exclusive => 14,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BinKind::General => "general (1 digit + up to 19)",
            BinKind::Direct => "direct (5 digits + up to 20)",
            BinKind::Exclusive => "exclusive (6+ digits + up to 14)",
        }
    }
}

/// The longest code every channel accepts: the core's Alfa `payment_code` rule (the tighter
/// of the two stores), read from the rule table rather than written again here.
pub fn channel_max_digits() -> usize {
    ALFA_PAYMENT_CODE
        .iter()
        .find_map(|r| match (r.path, r.rule) {
            ("online_to_offline_info.payment_code", Rule::Digits { max }) => Some(max),
            _ => None,
        })
        .unwrap_or(20)
}

/// A checked BIN and DGPC length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRules {
    pub bin: String,
    pub kind: BinKind,
    pub code_length: usize,
}

impl CodeRules {
    /// Checks `bin` and `code_length` against the BIN rules; errors name `bin` or
    /// `code_length`.
    pub fn new(bin: &str, code_length: usize) -> Result<CodeRules> {
        let kind = BinKind::of(bin).ok_or_else(|| {
            Error::config(
                "bin",
                format!(
                    "bin {bin:?} fits no DOKU BIN rule: use digits only, 1 digit (general), \
                     5 digits (direct) or 6 or more digits (exclusive)"
                ),
            )
        })?;
        let max = (bin.len() + kind.max_free_digits()).min(channel_max_digits());
        if code_length <= bin.len() || code_length > max {
            return Err(Error::config(
                "code_length",
                format!(
                    "code_length {code_length} does not fit BIN {bin} ({}): it must be {} to {max} \
                     (at most {} digits, the Alfa limit)",
                    kind.name(),
                    bin.len() + 1,
                    channel_max_digits()
                ),
            ));
        }
        Ok(CodeRules {
            bin: bin.to_string(),
            kind,
            code_length,
        })
    }

    /// A fresh DOKU-generated code (BIN + random digits); `taken` says whether a candidate
    /// is in use. Gives up after a bounded number of tries.
    pub fn generate(&self, taken: impl Fn(&str) -> bool) -> std::result::Result<String, ApiError> {
        let free = self.code_length - self.bin.len();
        for _ in 0..64 {
            let mut code = String::with_capacity(self.code_length);
            code.push_str(&self.bin);
            for _ in 0..free {
                code.push(char::from(b'0' + fastrand::u8(0..10)));
            }
            if !taken(&code) {
                return Ok(code);
            }
        }
        Err(ApiError::internal(
            "no free payment code found: the code space of this BIN is nearly full; \
             configure a longer code_length",
        ))
    }

    /// Checks a merchant-generated code (its digits were already checked by the core's
    /// field rules): it starts with the BIN and fits the BIN's rule.
    pub fn check_merchant_code(&self, code: &str) -> std::result::Result<(), ApiError> {
        const FIELD: &str = "online_to_offline_info.payment_code";
        let bad = |msg: String| ApiError::invalid("invalid_payment_code", msg).with_field(FIELD);
        if !code.starts_with(&self.bin) {
            return Err(bad(format!(
                "{FIELD} {code} must start with the merchant BIN {}",
                self.bin
            )));
        }
        let free = code.len() - self.bin.len();
        if free == 0 || free > self.kind.max_free_digits() {
            return Err(bad(format!(
                "{FIELD} {code} has {free} digits after the BIN {}; a {} BIN allows 1 to {}",
                self.bin,
                self.kind.name(),
                self.kind.max_free_digits()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_rules() {
        assert_eq!(BinKind::of("8"), Some(BinKind::General));
        assert_eq!(BinKind::of("88888"), Some(BinKind::Direct));
        assert_eq!(BinKind::of("888888"), Some(BinKind::Exclusive));
        assert_eq!(BinKind::of("8888"), None);
        assert_eq!(BinKind::of("8a"), None);
        assert_eq!(channel_max_digits(), 20);
        assert!(CodeRules::new("88888", 16).is_ok());
        assert!(CodeRules::new("8", 20).is_ok());
        assert_eq!(
            CodeRules::new("8", 21).unwrap_err().field(),
            Some("code_length")
        );
        assert_eq!(
            CodeRules::new("12345678", 22).unwrap_err().field(),
            Some("code_length")
        );
        assert!(CodeRules::new("12345678", 22 - 2).is_ok());
        assert_eq!(
            CodeRules::new("88888", 5).unwrap_err().field(),
            Some("code_length")
        );
        assert_eq!(CodeRules::new("8888", 16).unwrap_err().field(), Some("bin"));
    }

    #[test]
    fn generate_and_check() {
        let r = CodeRules::new("88888", 16).unwrap();
        let c = r.generate(|_| false).unwrap();
        assert_eq!(c.len(), 16);
        assert!(c.starts_with("88888"));
        assert!(r.generate(|_| true).is_err());
        assert!(r.check_merchant_code("888881").is_ok());
        assert_eq!(
            r.check_merchant_code("77777123").unwrap_err().code,
            "invalid_payment_code"
        );
        assert!(r.check_merchant_code("88888").is_err());
    }
}
