//! Money: splitting an amount among recipients in proportion to their weights (Shapley
//! values, usually), and reading and writing amounts. Integers only: an amount is an `i64`
//! count of the currency's minor unit (cents for USD, yen for JPY), and no floating-point
//! number ever holds money.
//!
//! # How a split is computed
//!
//! [`split_minor_integer`] is the exact core: with integer weights W_i, recipient i's exact
//! share is total · W_i / ΣW, a rational. Everyone first gets its floor (computed in `u128`:
//! total < 2^63 and W_i < 2^64, so the product cannot overflow); the units left over — fewer
//! than the number of recipients — go one each to the largest remainders (Hamilton's
//! largest-remainder method), ties broken by recipient id in byte order. So the shares sum
//! to `total` exactly, and each differs from its exact share by less than one unit.
//!
//! [`split_minor`] takes `f64` weights and first turns them into integers, exactly when it
//! can: every finite `f64` is m · 2^e with an integer m, so after removing the common power
//! of two the weights are integers. When those fit in 64 bits (always, for integer weights
//! below 2^53 and for weights within a factor 2^11 of each other) the split is exactly
//! proportional to the `f64` values. Otherwise (weights spanning more than 64 binary
//! orders of magnitude) each weight is rounded down to a multiple of 2^−64 of the largest
//! weight's power of two, so a weight below about 2^−64 of the largest counts as 0. Either
//! way the shares sum exactly to `total`.
//!
//! Invariants: shares always sum to the total; the result depends only on the inputs (no
//! hash-map order; ties by id); negative totals, negative or non-finite weights and
//! all-zero weights are errors, never a silent zero.

use std::collections::HashSet;

use super::ShapleyError;

/// The most minor digits an amount may have: 10^18 still fits in an `i64`.
pub const MAX_MINOR_DIGITS: u32 = 18;

/// ISO 4217 minor-unit digits of common currencies, sorted by code.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("VND", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("ZAR", 2),
];

/// The minor-unit digits of an ISO 4217 currency code (any letter case).
pub fn currency_minor_digits(code: &str) -> Result<u32, ShapleyError> {
    let upper = code.trim().to_ascii_uppercase();
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(upper.as_str()))
        .map(|i| CURRENCIES[i].1)
        .map_err(|_| ShapleyError::UnknownCurrency {
            code: code.to_string(),
        })
}

/// Splits `total` minor units in proportion to `f64` weights; see the module
/// documentation for how weights become integers. Shares come back in the order given.
pub fn split_minor(
    total: i64,
    weights: &[(String, f64)],
) -> Result<Vec<(String, i64)>, ShapleyError> {
    for (name, w) in weights {
        if !w.is_finite() {
            return Err(ShapleyError::NonFiniteSplitWeight {
                name: name.clone(),
                weight: *w,
            });
        }
        if *w < 0.0 {
            return Err(ShapleyError::NegativeSplitWeight {
                name: name.clone(),
                weight: *w,
            });
        }
    }
    let scaled = integer_weights(&weights.iter().map(|(_, w)| *w).collect::<Vec<_>>());
    let integer: Vec<(String, u64)> = weights
        .iter()
        .zip(scaled)
        .map(|((name, _), w)| (name.clone(), w))
        .collect();
    split_minor_integer(total, &integer)
}

/// Integers proportional to finite non-negative `weights` (exactly when possible); see the
/// module documentation.
pub fn integer_weights(weights: &[f64]) -> Vec<u64> {
    // w = m · 2^e with m odd (or None for zero).
    let parts: Vec<Option<(u64, i32)>> = weights
        .iter()
        .map(|&w| {
            let bits = w.to_bits();
            let biased = ((bits >> 52) & 0x7ff) as i32;
            let fraction = bits & ((1 << 52) - 1);
            let (m, e) = if biased == 0 {
                (fraction, -1074)
            } else {
                (fraction | 1 << 52, biased - 1075)
            };
            (m != 0).then(|| {
                let zeros = m.trailing_zeros();
                (m >> zeros, e + zeros as i32)
            })
        })
        .collect();
    let present = || parts.iter().flatten();
    let Some(lowest) = present().map(|&(_, e)| e).min() else {
        return vec![0; weights.len()];
    };
    // One past the highest set bit, as a power of two.
    let top = present()
        .map(|&(m, e)| (64 - m.leading_zeros()) as i32 + e)
        .max()
        .expect("invariant: some weight is present");
    // Exact when every weight fits in 64 bits over the lowest power; otherwise the largest
    // takes all 64 bits and the rest round down.
    let base = if top - lowest <= 64 { lowest } else { top - 64 };
    parts
        .iter()
        .map(|part| match *part {
            None => 0,
            Some((m, e)) => {
                let shift = e - base;
                if shift >= 0 {
                    m << shift
                } else if shift > -64 {
                    m >> -shift
                } else {
                    0
                }
            }
        })
        .collect()
}

/// Splits `total` minor units exactly in proportion to integer weights, by largest
/// remainders; see the module documentation. Shares come back in the order given.
pub fn split_minor_integer(
    total: i64,
    weights: &[(String, u64)],
) -> Result<Vec<(String, i64)>, ShapleyError> {
    if total < 0 {
        return Err(ShapleyError::NegativeTotal { total });
    }
    let mut seen = HashSet::with_capacity(weights.len());
    for (name, _) in weights {
        if !seen.insert(name.as_str()) {
            return Err(ShapleyError::DuplicateRecipient { name: name.clone() });
        }
    }
    let sum: u128 = weights.iter().map(|(_, w)| u128::from(*w)).sum();
    if sum == 0 {
        return Err(ShapleyError::ZeroWeights {
            recipients: weights.len(),
        });
    }
    let t = total as u128;
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (_, w) in weights {
        let product = t * u128::from(*w);
        // ≤ total, so it fits an i64.
        shares.push((product / sum) as i64);
        remainders.push(product % sum);
    }
    // The remainders sum to a multiple of ΣW below n · ΣW: fewer than n units are left.
    let left = (total - shares.iter().sum::<i64>()) as usize;
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        remainders[b]
            .cmp(&remainders[a])
            .then_with(|| weights[a].0.cmp(&weights[b].0))
    });
    for &i in &by_remainder[..left] {
        shares[i] += 1;
    }
    Ok(weights
        .iter()
        .zip(shares)
        .map(|((name, _), share)| (name.clone(), share))
        .collect())
}

/// Reads a decimal amount into minor units: `"12.34"` with 2 minor digits is 1234.
/// Accepts digits with at most `minor_digits` decimals (`"12"`, `"12.3"`, `"0.05"`),
/// surrounding whitespace ignored; refuses signs, exponents, NaN and infinities, thousands
/// separators, `".5"` and `"5."`, more decimals than the currency has, and amounts that do
/// not fit an `i64`.
pub fn parse_amount(text: &str, minor_digits: u32) -> Result<i64, ShapleyError> {
    if minor_digits > MAX_MINOR_DIGITS {
        return Err(ShapleyError::TooManyMinorDigits {
            digits: minor_digits,
        });
    }
    let trimmed = text.trim();
    let unsigned = trimmed
        .strip_prefix('-')
        .or_else(|| trimmed.strip_prefix('+'))
        .unwrap_or(trimmed);
    let lower = unsigned.to_ascii_lowercase();
    if ["nan", "inf", "infinity"].contains(&lower.as_str()) {
        return Err(ShapleyError::AmountNotFinite {
            text: text.to_string(),
        });
    }
    if trimmed.starts_with('-') {
        return Err(ShapleyError::AmountNegative {
            text: text.to_string(),
        });
    }
    let not_numeric = || ShapleyError::AmountNotNumeric {
        text: text.to_string(),
    };
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((mantissa, exponent)) = trimmed.split_once(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if is_digits(exponent) && is_digits(&mantissa.replacen('.', "", 1)) {
            return Err(ShapleyError::AmountExponent {
                text: text.to_string(),
            });
        }
        return Err(not_numeric());
    }
    let (whole, fraction) = match trimmed.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (trimmed, None),
    };
    if !is_digits(whole) || fraction.is_some_and(|f| !is_digits(f)) {
        return Err(not_numeric());
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > minor_digits as usize {
        return Err(ShapleyError::AmountTooPrecise {
            text: text.to_string(),
            decimals: fraction.len(),
            minor_digits,
        });
    }
    let overflow = || ShapleyError::AmountOverflow {
        text: text.to_string(),
        max: format_amount(i64::MAX, minor_digits),
    };
    let padding = minor_digits as usize - fraction.len();
    let mut minor: i64 = 0;
    for digit in whole
        .bytes()
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', padding))
    {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(digit - b'0')))
            .ok_or_else(overflow)?;
    }
    Ok(minor)
}

/// Writes minor units as a decimal amount: 1234 with 2 minor digits is `"12.34"`, 5 is
/// `"0.05"`, −5 is `"-0.05"`; with 0 digits there is no decimal point.
pub fn format_amount(minor: i64, minor_digits: u32) -> String {
    let digits = minor.unsigned_abs().to_string();
    let width = minor_digits as usize + 1;
    let padded = format!("{digits:0>width$}");
    let (whole, fraction) = padded.split_at(padded.len() - minor_digits as usize);
    let sign = if minor < 0 { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    fn named<W: Copy>(weights: &[W]) -> Vec<(String, W)> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| (format!("r{i:02}"), w))
            .collect()
    }

    fn amounts(split: &[(String, i64)]) -> Vec<i64> {
        split.iter().map(|(_, s)| *s).collect()
    }

    #[test]
    fn splits_by_largest_remainder() {
        let split = split_minor(100, &named(&[1.0, 1.0, 1.0])).unwrap();
        assert_eq!(amounts(&split), [34, 33, 33]);
        let split = split_minor(1000, &named(&[0.5, 0.25, 0.25, 0.0])).unwrap();
        assert_eq!(amounts(&split), [500, 250, 250, 0]);
        let split = split_minor(0, &named(&[3.0, 1.0])).unwrap();
        assert_eq!(amounts(&split), [0, 0]);
    }

    #[test]
    fn ties_go_to_the_smaller_id_whatever_the_order() {
        let weights = vec![
            ("c".to_string(), 1.0),
            ("a".to_string(), 1.0),
            ("b".to_string(), 1.0),
        ];
        let split = split_minor(2, &weights).unwrap();
        assert_eq!(
            split,
            [
                ("c".to_string(), 0),
                ("a".to_string(), 1),
                ("b".to_string(), 1)
            ]
        );
        // A larger remainder beats a smaller id.
        let weights = vec![("a".to_string(), 1u64), ("b".to_string(), 2)];
        let split = split_minor_integer(2, &weights).unwrap();
        assert_eq!(amounts(&split), [1, 1]);
        let split = split_minor_integer(1, &weights).unwrap();
        assert_eq!(amounts(&split), [0, 1]);
    }

    #[test]
    fn integer_weights_are_exact_when_they_fit() {
        assert_eq!(integer_weights(&[3.0, 1.0, 0.0]), [3, 1, 0]);
        assert_eq!(integer_weights(&[0.75, 0.25]), [3, 1]);
        assert_eq!(integer_weights(&[1e6, 1.0]), [1_000_000, 1]);
        assert_eq!(integer_weights(&[0.0, -0.0]), [0, 0]);
        assert_eq!(integer_weights(&[]), Vec::<u64>::new());
        // 2^-1074 and 1: 1074 binary orders apart; the tiny one rounds down to 0 and the
        // large one takes 64 bits.
        assert_eq!(integer_weights(&[f64::from_bits(1), 1.0]), [0, 1 << 63]);
        // 0.1 is not dyadic: 0.1 and 0.2 keep their exact 2:1 ratio.
        let w = integer_weights(&[0.1, 0.2]);
        assert_eq!(w[1], 2 * w[0]);
    }

    #[test]
    fn extreme_totals_and_weights_still_sum() {
        let cases: &[&[f64]] = &[
            &[f64::MAX, f64::MAX, f64::MIN_POSITIVE],
            &[f64::from_bits(1), f64::from_bits(3)],
            &[1e300, 1e-300, 1.0],
        ];
        for weights in cases {
            for total in [0, 1, 7, i64::MAX] {
                let split = split_minor(total, &named(weights)).unwrap();
                assert_eq!(amounts(&split).iter().sum::<i64>(), total);
            }
        }
        let split = split_minor(i64::MAX, &named(&[1.0, 1.0])).unwrap();
        assert_eq!(amounts(&split), [i64::MAX / 2 + 1, i64::MAX / 2]);
    }

    /// A random weight of one of several kinds: integers, dyadic fractions, arbitrary
    /// reals, zero, tiny and huge.
    fn random_weight(rng: &mut Rng) -> f64 {
        match rng.below(8) {
            0 => 0.0,
            1 => rng.below(1000) as f64,
            2 => rng.below(1 << 20) as f64 / 1024.0,
            3 => rng.next_f64() * 1e-200,
            4 => rng.next_f64() * 1e200,
            _ => rng.next_f64() * 100.0,
        }
    }

    #[test]
    fn ten_thousand_random_splits_sum_exactly_and_stay_within_a_unit() {
        let mut rng = Rng::seed_from_u64(20240601);
        for case in 0..10_000 {
            let n = 1 + rng.below(12) as usize;
            let mut weights: Vec<f64> = (0..n).map(|_| random_weight(&mut rng)).collect();
            if weights.iter().all(|&w| w == 0.0) {
                weights[0] = 1.0;
            }
            let total = match rng.below(4) {
                0 => rng.below(100) as i64,
                1 => rng.below(1_000_000) as i64,
                2 => rng.below(1_000_000_000_000) as i64,
                _ => rng.below(i64::MAX as u64) as i64,
            };
            // Ids in shuffled order, so that breaking ties by id is not breaking them by
            // position.
            let mut ids: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut ids);
            let named: Vec<(String, f64)> = ids
                .iter()
                .zip(&weights)
                .map(|(id, &w)| (format!("r{id:02}"), w))
                .collect();
            let split = split_minor(total, &named).unwrap();
            let shares = amounts(&split);
            assert_eq!(shares.iter().sum::<i64>(), total, "case {case}");
            assert!(shares.iter().all(|&s| s >= 0), "case {case}");

            // Exact check against the integers the weights became: each share is the floor
            // of its exact share or one more, one more only where there is a remainder, and
            // the ones that got one more had remainders at least as large as the rest.
            let integer = integer_weights(&weights);
            let sum: u128 = integer.iter().map(|&w| u128::from(w)).sum();
            // Priority: larger remainder first, then smaller id.
            let mut rounded_up = Vec::new();
            let mut rounded_down = Vec::new();
            for ((name, _), (&share, &w)) in named.iter().zip(shares.iter().zip(&integer)) {
                let product = total as u128 * u128::from(w);
                let (floor, rem) = ((product / sum) as i64, product % sum);
                let priority = (std::cmp::Reverse(rem), name.as_str());
                if share == floor + 1 {
                    assert!(rem > 0, "case {case}: rounded up without a remainder");
                    rounded_up.push(priority);
                } else {
                    assert_eq!(share, floor, "case {case}");
                    rounded_down.push(priority);
                }
            }
            if let (Some(up), Some(down)) = (rounded_up.iter().max(), rounded_down.iter().min()) {
                assert!(up < down, "case {case}: {up:?} rounded up before {down:?}");
            }

            // Independent check against the f64 weights themselves, where f64 arithmetic
            // is accurate enough to tell (totals up to 10^12 lose at most ~10^-3 units).
            if total <= 1_000_000_000_000 {
                let sum_w: f64 = weights.iter().sum();
                for (&share, &w) in shares.iter().zip(&weights) {
                    let exact = total as f64 * (w / sum_w);
                    assert!(
                        (share as f64 - exact).abs() < 1.0 + 1e-3,
                        "case {case}: share {share} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn integral_f64_weights_split_as_integers() {
        let mut rng = Rng::seed_from_u64(5);
        for _ in 0..1000 {
            let n = 1 + rng.below(8) as usize;
            let ints: Vec<u64> = (0..n).map(|_| 1 + rng.below(1 << 40)).collect();
            let floats: Vec<f64> = ints.iter().map(|&w| w as f64).collect();
            let total = rng.below(1 << 62) as i64;
            assert_eq!(
                split_minor(total, &named(&floats)).unwrap(),
                split_minor_integer(total, &named(&ints)).unwrap()
            );
        }
    }

    #[test]
    fn bad_splits_are_refused() {
        assert!(matches!(
            split_minor(-1, &named(&[1.0])),
            Err(ShapleyError::NegativeTotal { total: -1 })
        ));
        assert!(matches!(
            split_minor(10, &named(&[1.0, -0.5])),
            Err(ShapleyError::NegativeSplitWeight { name, .. }) if name == "r01"
        ));
        for bad in [f64::NAN, f64::INFINITY] {
            assert!(matches!(
                split_minor(10, &named(&[bad])),
                Err(ShapleyError::NonFiniteSplitWeight { .. })
            ));
        }
        assert!(matches!(
            split_minor(10, &named(&[0.0, 0.0])),
            Err(ShapleyError::ZeroWeights { recipients: 2 })
        ));
        assert!(matches!(
            split_minor(10, &[]),
            Err(ShapleyError::ZeroWeights { recipients: 0 })
        ));
        let twice = vec![("a".to_string(), 1.0), ("a".to_string(), 2.0)];
        assert!(matches!(
            split_minor(10, &twice),
            Err(ShapleyError::DuplicateRecipient { name }) if name == "a"
        ));
        let messages = [
            split_minor(10, &named(&[0.0])).unwrap_err().to_string(),
            split_minor(10, &named(&[-1.0])).unwrap_err().to_string(),
        ];
        assert!(messages[0].contains("nothing to split"), "{}", messages[0]);
        assert!(messages[1].contains("r00"), "{}", messages[1]);
    }

    #[test]
    fn amounts_parse() {
        assert_eq!(parse_amount("12.34", 2).unwrap(), 1234);
        assert_eq!(parse_amount("12", 2).unwrap(), 1200);
        assert_eq!(parse_amount("12.3", 2).unwrap(), 1230);
        assert_eq!(parse_amount("0.05", 2).unwrap(), 5);
        assert_eq!(parse_amount(" 7 ", 0).unwrap(), 7);
        assert_eq!(parse_amount("0.001", 3).unwrap(), 1);
        assert_eq!(parse_amount("007", 2).unwrap(), 700);
        assert_eq!(parse_amount("92233720368547758.07", 2).unwrap(), i64::MAX);
    }

    #[test]
    fn bad_amounts_are_refused() {
        use ShapleyError as E;
        let err = |text: &str, digits: u32| parse_amount(text, digits).unwrap_err();
        assert!(matches!(err("-1", 2), E::AmountNegative { .. }));
        assert!(matches!(err("-0.01", 2), E::AmountNegative { .. }));
        for bad in [
            "", "abc", "1,000", "1.2.3", ".5", "5.", "+5", "1 000", "0x10", "١٢",
        ] {
            assert!(matches!(err(bad, 2), E::AmountNotNumeric { .. }), "{bad:?}");
        }
        for bad in ["NaN", "inf", "-inf", "Infinity", "+INF"] {
            assert!(matches!(err(bad, 2), E::AmountNotFinite { .. }), "{bad:?}");
        }
        for bad in ["1e3", "1.5E-2", "2e+5"] {
            assert!(matches!(err(bad, 2), E::AmountExponent { .. }), "{bad:?}");
        }
        assert!(matches!(
            err("12.345", 2),
            E::AmountTooPrecise {
                decimals: 3,
                minor_digits: 2,
                ..
            }
        ));
        assert!(matches!(
            err("12.0", 0),
            E::AmountTooPrecise {
                decimals: 1,
                minor_digits: 0,
                ..
            }
        ));
        assert!(matches!(
            err("92233720368547758.08", 2),
            E::AmountOverflow { .. }
        ));
        assert!(matches!(
            err("99999999999999999999999", 0),
            E::AmountOverflow { .. }
        ));
        assert!(matches!(err("1", 19), E::TooManyMinorDigits { digits: 19 }));
        let message = err("12.345", 2).to_string();
        assert!(
            message.contains("12.345") && message.contains("2 decimals"),
            "{message}"
        );
    }

    #[test]
    fn amounts_format_and_round_trip() {
        assert_eq!(format_amount(1234, 2), "12.34");
        assert_eq!(format_amount(5, 2), "0.05");
        assert_eq!(format_amount(0, 2), "0.00");
        assert_eq!(format_amount(-5, 2), "-0.05");
        assert_eq!(format_amount(1234, 0), "1234");
        assert_eq!(format_amount(1, 3), "0.001");
        assert_eq!(format_amount(i64::MIN, 2), "-92233720368547758.08");
        let mut rng = Rng::seed_from_u64(9);
        for _ in 0..1000 {
            let minor = rng.below(i64::MAX as u64) as i64;
            let digits = rng.below(u64::from(MAX_MINOR_DIGITS) + 1) as u32;
            assert_eq!(
                parse_amount(&format_amount(minor, digits), digits).unwrap(),
                minor
            );
        }
    }

    #[test]
    fn currencies() {
        assert_eq!(currency_minor_digits("USD").unwrap(), 2);
        assert_eq!(currency_minor_digits("jpy").unwrap(), 0);
        assert_eq!(currency_minor_digits("KWD").unwrap(), 3);
        assert_eq!(currency_minor_digits("BHD").unwrap(), 3);
        assert!(matches!(
            currency_minor_digits("XYZ"),
            Err(ShapleyError::UnknownCurrency { code }) if code == "XYZ"
        ));
        assert!(
            CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted for binary search"
        );
    }
}
