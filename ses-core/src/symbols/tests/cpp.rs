use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A nested namespace holding a commented class template with constructor, destructor,
/// a method returning a reference, a declaration (not a symbol) and a nested struct; an
/// `enum class`; an anonymous namespace (not a symbol, its function is); an out-of-class
/// template method definition with a namespace- and template-qualified name, holding a
/// local struct; an out-of-class constructor; an operator; a union and `main`.
pub(super) const SOURCE: &str = r#"
#include <string>
#include <vector>

namespace shop::model {

// An item for sale.
template <typename Price>
class Item : public Base {
public:
    Item(std::string name) : name_(std::move(name)) {}
    ~Item() {}

    const std::string& name() const { return name_; }
    Price price() const;

    struct Tag {
        int id;
    };

private:
    std::string name_;
};

enum class Unit { Piece, Kilo };

}  // namespace shop::model

namespace {
int helper(int x) { return x * 2; }
}

template <typename Price>
Price shop::model::Item<Price>::price() const {
    struct Zero { int value = 0; };
    return Price{};
}

Cart::Cart() : items_() {}

bool operator==(const Cart& a, const Cart& b) {
    return a.size() == b.size();
}

union Value {
    int i;
    float f;
};

int main() {
    return helper(1);
}
"#;

#[test]
fn cpp_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::Cpp, SOURCE.as_bytes()),
        "
4..27 @4 namespace shop::model
6..23 @8 class Item in shop::model
10..11 @10 constructor Item in Item
11..12 @11 method ~Item in Item
13..14 @13 method name in Item
16..19 @16 struct Tag in Item
24..25 @24 enum Unit in shop::model
29..30 @29 function helper
32..37 @33 method price in Item
34..35 @34 struct Zero in price
38..39 @38 constructor Cart in Cart
40..43 @40 function operator==
44..48 @44 union Value
49..52 @49 function main
",
    );
}

#[test]
fn cpp_syntax_error_keeps_the_rest() {
    let source = "namespace n {
class A {
  void m() { if ( }
  int n() { return 1; }
};
}
int after() { return 0; }
";
    assert_symbols(
        &extract(Language::Cpp, source.as_bytes()),
        "
0..6 @0 namespace n
1..5 @1 class A in n
2..3 @2 method m in A
3..4 @3 method n in A
6..7 @6 function after
",
    );
}
