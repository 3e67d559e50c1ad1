use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A comment kept apart by a blank line, decorators (stacked, and with a comment above),
/// `__init__`, a property, a function nested in a static method, `async def`, a nested
/// class, a comment indented like the class body above a top-level function, and a lambda
/// (not a symbol).
pub(super) const SOURCE: &str = r#"
"""Inventory service."""

import functools


# Cache settings, attached to nothing: a blank line follows.

def load(path):
    with open(path) as f:
        return f.read()


# The inventory of one warehouse.
@functools.total_ordering
class Inventory:
    """Items by SKU."""

    def __init__(self):
        self.items = {}

    @property
    def size(self):
        return len(self.items)

    @staticmethod
    @functools.cache
    def parse(line):
        def field(i):
            return line.split(",")[i]
        return field(0), field(1)

    async def refresh(self, client):
        async for item in client.stream():
            self.items[item.sku] = item

    class Error(Exception):
        pass

    # Indented like a method, so not about the function below.
async def main():
    inv = Inventory()
    await inv.refresh(None)

handler = lambda event: None
"#;

#[test]
fn python_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::Python, SOURCE.as_bytes()),
        "
8..11 @8 function load
13..40 @15 class Inventory
18..20 @18 method __init__ in Inventory
21..24 @22 method size in Inventory
25..31 @27 method parse in Inventory
28..30 @28 function field in parse
32..35 @32 method refresh in Inventory
36..38 @36 class Error in Inventory
40..43 @40 function main
",
    );
}

#[test]
fn python_syntax_error_keeps_the_rest() {
    // An unclosed call between two definitions, as while typing.
    let source = "import os

def ok():
    return 1

print(os.getcwd(

class After:
    def method(self):
        return 2
";
    assert_symbols(
        &extract(Language::Python, source.as_bytes()),
        "
2..4 @2 function ok
7..10 @7 class After
8..10 @8 method method in After
",
    );
}
