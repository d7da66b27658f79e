/// A price: a finite number, zero or more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price(f64);

impl Price {
    /// Parses a price, or says what is wrong with it.
    pub fn parse(raw: f64) -> Result<Self, String> {
        if !raw.is_finite() {
            return Err("must be a finite number".into());
        }
        if raw < 0.0 {
            return Err("must be zero or more".into());
        }
        // -0.0 passes the check above; store it as 0.
        Ok(Self(raw + 0.0))
    }

    /// The price.
    pub fn value(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_non_negative_prices_are_accepted() {
        for price in [0.0, 0.01, 12.99, 1e300] {
            assert_eq!(Price::parse(price).map(Price::value), Ok(price));
        }
    }

    #[test]
    fn negative_zero_is_stored_as_zero() {
        let price = Price::parse(-0.0).expect("valid");
        assert!(price.value().is_sign_positive());
    }

    #[test]
    fn negative_and_non_finite_prices_are_refused() {
        for price in [-0.01, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(Price::parse(price).is_err(), "{price}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_number_is_a_price_or_refused_with_a_reason(raw in proptest::num::f64::ANY) {
            match Price::parse(raw) {
                Ok(price) => {
                    proptest::prop_assert!(price.value() == raw && price.value().is_finite());
                    proptest::prop_assert_eq!(Price::parse(price.value()).map(Price::value), Ok(price.value()));
                }
                Err(why) => {
                    proptest::prop_assert!(!why.is_empty());
                    let acceptable = raw.is_finite() && raw >= 0.0;
                    proptest::prop_assert!(!acceptable, "refused {}", raw);
                }
            }
        }
    }
}
