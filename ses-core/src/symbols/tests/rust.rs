use super::{assert_symbols, extract};
use crate::symbols::Language;

/// Attributes and doc comments above items, methods in inherent and trait impls, a
/// function nested in a method, a multi-line generic impl header, trait methods with and
/// without bodies, a union, a macro, an `extern` block and `mod x;` (not symbols), and a
/// test module.
pub(super) const SOURCE: &str = r#"
//! Crate docs are not attached to anything.

use std::fmt;

/// A point in the plane.
#[derive(Debug, Clone)]
pub struct Point {
    x: i32,
    y: i32,
}

pub enum Shape {
    Circle(Point, u32),
    Square(Point, u32),
}

impl Point {
    /// The origin.
    pub const fn origin() -> Self {
        Point { x: 0, y: 0 }
    }

    pub fn manhattan(&self) -> i32 {
        fn abs(v: i32) -> i32 {
            v.abs()
        }
        abs(self.x) + abs(self.y)
    }
}

impl<T: fmt::Debug> fmt::Display
    for Wrapper<T>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

pub trait Area {
    fn area(&self) -> f64;

    fn double(&self) -> f64 {
        self.area() * 2.0
    }
}

#[repr(C)]
union Bits {
    int: u32,
    float: f32,
}

macro_rules! square {
    ($x:expr) => {
        $x * $x
    };
}

unsafe extern "C" {
    fn abs(input: i32) -> i32;
}

mod geometry;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_zero() {
        assert_eq!(Point::origin().manhattan(), 0);
    }
}
"#;

#[test]
fn rust_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::Rust, SOURCE.as_bytes()),
        "
5..11 @7 struct Point
12..16 @12 enum Shape
17..30 @17 impl impl Point
18..22 @19 method origin in Point
23..29 @23 method manhattan in Point
24..27 @24 function abs in manhattan
31..38 @32 impl impl fmt::Display for Wrapper<T>
34..37 @34 method fmt in Wrapper
39..46 @39 trait Area
40..41 @40 method area in Area
42..45 @42 method double in Area
47..52 @48 union Bits
53..58 @53 macro square
65..74 @66 module tests
69..73 @70 function origin_is_zero in tests
",
    );
}

#[test]
fn rust_syntax_error_keeps_the_rest() {
    let source = "fn ok() {}

fn broken( {
    let x = ;
}

struct After { a: u8 }

impl After {
    fn method(&self) -> u8 { self.a }
}
";
    assert_symbols(
        &extract(Language::Rust, source.as_bytes()),
        "
0..1 @0 function ok
2..5 @2 function broken
6..7 @6 struct After
8..11 @8 impl impl After
9..10 @9 method method in After
",
    );
}
