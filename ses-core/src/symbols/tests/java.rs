use super::{assert_symbols, extract};
use crate::symbols::Language;

/// Javadoc and an annotation above a class, a constructor, a commented and annotated
/// method, a generic method, a record with a compact constructor, an enum with a method,
/// an anonymous class inside a method (its method's container is that method), a lambda
/// (not a symbol), an interface and an annotation type.
pub(super) const SOURCE: &str = r#"
package shop;

import java.util.List;

/**
 * A shopping cart.
 */
@Entity
public class Cart implements Iterable<Item> {
    private final List<Item> items;

    public Cart(List<Item> items) {
        this.items = items;
    }

    // Total in cents.
    @Override
    public long total() {
        return items.stream().mapToLong(Item::price).sum();
    }

    public <T> T first(Class<T> type) {
        return type.cast(items.get(0));
    }

    public record Item(String name, long price) {
        public Item {
            if (price < 0) throw new IllegalArgumentException();
        }
    }

    enum Status {
        OPEN, CLOSED;

        boolean isFinal() { return this == CLOSED; }
    }

    Runnable task() {
        return new Runnable() {
            @Override
            public void run() {
                items.forEach(item -> System.out.println(item));
            }
        };
    }

    interface Listener {
        void changed(Cart cart);
    }
}

@interface Audited {}
"#;

#[test]
fn java_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::Java, SOURCE.as_bytes()),
        "
5..51 @9 class Cart
12..15 @12 constructor Cart in Cart
16..21 @18 method total in Cart
22..25 @22 method first in Cart
26..31 @26 record Item in Cart
27..30 @27 constructor Item in Item
32..37 @32 enum Status in Cart
35..36 @35 method isFinal in Status
38..46 @38 method task in Cart
40..44 @41 method run in task
47..50 @47 interface Listener in Cart
48..49 @48 method changed in Listener
52..53 @52 interface Audited
",
    );
}

#[test]
fn java_syntax_error_keeps_the_rest() {
    let source = "class A {
  void m() { int x = ; }
  int n() { return 1 }
}
class B { }
";
    assert_symbols(
        &extract(Language::Java, source.as_bytes()),
        "
0..4 @0 class A
1..2 @1 method m in A
2..3 @2 method n in A
4..5 @4 class B
",
    );
}
