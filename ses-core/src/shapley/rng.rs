//! A small seeded pseudo-random generator: xoshiro256** (Blackman and Vigna), its state
//! filled from the seed by SplitMix64, as its authors recommend.
//!
//! Why our own: ses-core has no `rand`, and a sampled Shapley value must be reproducible bit
//! for bit from its seed on every platform and every build. Both generators are pure 64-bit
//! integer arithmetic (wrapping adds and multiplies, shifts, rotations), so nothing depends
//! on the platform, the compiler or a crate's version. Not cryptographic: it draws sample
//! permutations and test data, nothing secret.
//!
//! Invariants: the same seed gives the same stream forever (the reference test vectors
//! below pin it); the xoshiro state is never all zero (the one state it cannot leave).

/// SplitMix64: a 64-bit counter passed through a bijective mixer. Used only to expand a
/// seed into xoshiro's 256-bit state, where one seed bit must change the whole state.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256**: period 2^256 − 1, passes BigCrush, four words of state.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `seed`. The four state words are consecutive SplitMix64 outputs;
    /// the mixer is a bijection applied to four distinct counters, so they are distinct and
    /// never all zero.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut mix = SplitMix64::new(seed);
        Rng {
            s: [
                mix.next_u64(),
                mix.next_u64(),
                mix.next_u64(),
                mix.next_u64(),
            ],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..bound`, without modulo bias (Lemire's multiply-and-reject). A `bound`
    /// of 0 gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        let mut product = u128::from(self.next_u64()) * u128::from(bound);
        let mut low = product as u64;
        if low < bound {
            // Products whose low half falls below 2^64 mod bound are the surplus that
            // would make small results likelier; draw again for those.
            let threshold = bound.wrapping_neg() % bound;
            while low < threshold {
                product = u128::from(self.next_u64()) * u128::from(bound);
                low = product as u64;
            }
        }
        (product >> 64) as u64
    }

    /// Uniform in `[0, 1)`, on the grid of multiples of 2^−53 (every such value is exact).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fisher–Yates: every permutation of `items` equally likely, whatever its order before.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // Vigna's splitmix64.c from seed 0.
        let mut mix = SplitMix64::new(0);
        assert_eq!(mix.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(mix.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(mix.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn xoshiro256starstar_matches_the_reference_stream() {
        // Vigna's xoshiro256starstar.c from the state {1, 2, 3, 4}.
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let expected: [u64; 6] = [
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
        ];
        for want in expected {
            assert_eq!(rng.next_u64(), want);
        }
    }

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut rng = Rng::seed_from_u64(7);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let x = rng.below(7) as usize;
            seen[x] += 1;
        }
        // Each of 7 values expected 1000 times; 800 is over 6 standard deviations away.
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn next_f64_is_in_the_unit_interval() {
        let mut rng = Rng::seed_from_u64(1);
        for _ in 0..10_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn shuffle_is_a_permutation_and_seeded() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        Rng::seed_from_u64(3).shuffle(&mut a);
        Rng::seed_from_u64(3).shuffle(&mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(a, (0..100).collect::<Vec<_>>());
    }
}
