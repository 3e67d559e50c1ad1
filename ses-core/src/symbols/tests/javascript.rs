use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A JSDoc comment, a generator, an exported class with a private field, constructor,
/// getter, arrow-function field and computed generator method, a prototype assignment,
/// functions bound to `const`/`let` (one declarator and two), a CommonJS export with a
/// nested arrow function, a JSX component, a class expression and an anonymous default
/// export.
pub(super) const SOURCE: &str = r#"
import { EventEmitter } from "node:events";

/**
 * Sums its arguments.
 */
function sum(...xs) {
  return xs.reduce((a, b) => a + b, 0);
}

function* range(n) {
  for (let i = 0; i < n; i++) yield i;
}

export class Cart extends EventEmitter {
  #items = [];

  constructor(owner) {
    super();
    this.owner = owner;
  }

  add(item) {
    this.#items.push(item);
  }

  get total() {
    return sum(...this.#items.map((i) => i.price));
  }

  onChange = () => {
    this.emit("change");
  };

  static *[Symbol.iterator]() {}
}

Cart.prototype.clear = function () {
  this.#items = [];
};

const format = (cents) =>
  `$${(cents / 100).toFixed(2)}`;

export const parse = function (text) {
  return JSON.parse(text);
};

let a = () => 1, b = function () {};

module.exports.helper = async () => {
  const inner = () => 2;
  return inner();
};

export function Button({ label, onClick }) {
  return <button onClick={onClick}>{label}</button>;
}

const Widget = class {
  render() {}
};

export default () => "anonymous";
"#;

#[test]
fn javascript_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::JavaScript, SOURCE.as_bytes()),
        "
3..9 @6 function sum
10..13 @10 function range
14..36 @14 class Cart
17..21 @17 constructor constructor in Cart
22..25 @22 method add in Cart
26..29 @26 method total in Cart
30..33 @30 method onChange in Cart
34..35 @34 method [Symbol.iterator] in Cart
37..40 @37 function clear
41..43 @41 function format
44..47 @44 function parse
48..49 @48 function a
48..49 @48 function b
50..54 @50 function helper
51..52 @51 function inner in helper
55..58 @55 function Button
59..62 @59 class Widget
60..61 @60 method render in Widget
63..64 @63 function default
",
    );
}

#[test]
fn javascript_syntax_error_keeps_the_rest() {
    let source = "const ok = () => 1;
function broken() {
  return {;
}
class After { m() {} }
";
    assert_symbols(
        &extract(Language::JavaScript, source.as_bytes()),
        "
0..1 @0 function ok
1..4 @1 function broken
4..5 @4 class After
4..5 @4 method m in After
",
    );
}
