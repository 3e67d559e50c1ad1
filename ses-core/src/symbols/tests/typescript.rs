use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A generic interface with method and property signatures, an exported enum, a dotted
/// namespace holding a function and an abstract class, a comment and a multi-line
/// decorator above `export class` with a parameter-property constructor, an async method
/// and an arrow-function field, an ambient module (its signature is not a symbol), a type
/// alias (not a symbol), and a typed arrow function.
pub(super) const SOURCE: &str = r#"
import { Injectable } from "@angular/core";

export interface Repository<T> {
  find(id: string): Promise<T | undefined>;
  readonly name: string;
  save(item: T): Promise<void>;
}

export enum Status {
  Active = "active",
  Closed = "closed",
}

export namespace Billing.Internal {
  export function rate(plan: string): number {
    return plan === "pro" ? 20 : 5;
  }

  export abstract class Invoice {
    abstract total(): number;

    describe(): string {
      return `${this.total()}`;
    }
  }
}

// Injected wherever a repository of users is needed.
@Injectable({
  providedIn: "root",
})
export class UserRepository implements Repository<string> {
  private cache = new Map<string, string>();

  constructor(private readonly http: unknown) {}

  async find(id: string): Promise<string | undefined> {
    return this.cache.get(id);
  }

  save = async (item: string): Promise<void> => {
    this.cache.set(item, item);
  };
}

declare module "legacy" {
  export function init(): void;
}

type Handler = (event: string) => void;

export const handle: Handler = (event) => {
  console.log(event);
};
"#;

/// Generic components, an interface, hooks, an arrow function nested in an arrow
/// component, and a default-exported class component.
pub(super) const TSX_SOURCE: &str = r#"
import { useState, type ReactNode } from "react";

interface ListProps<T> {
  items: T[];
  render(item: T): ReactNode;
}

export function List<T>({ items, render }: ListProps<T>) {
  return <ul>{items.map((item) => <li>{render(item)}</li>)}</ul>;
}

// Generic arrows need a trailing comma in .tsx: <T,>
export const Counter = <T,>({ start }: { start: number }) => {
  const [count, setCount] = useState(start);
  const increment = () => setCount(count + 1);
  return <button onClick={increment}>{count}</button>;
};

export default class Page extends Component<{}, {}> {
  render() {
    return <List items={[1, 2]} render={(n) => <b>{n}</b>} />;
  }
}
"#;

#[test]
fn typescript_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::TypeScript, SOURCE.as_bytes()),
        "
3..8 @3 interface Repository
4..5 @4 method find in Repository
6..7 @6 method save in Repository
9..13 @9 enum Status
14..27 @14 namespace Billing.Internal
15..18 @15 function rate in Billing.Internal
19..26 @19 class Invoice in Billing.Internal
20..21 @20 method total in Invoice
22..25 @22 method describe in Invoice
28..45 @32 class UserRepository
35..36 @35 constructor constructor in UserRepository
37..40 @37 method find in UserRepository
41..44 @41 method save in UserRepository
46..49 @46 module \"legacy\"
52..55 @52 function handle
",
    );
}

#[test]
fn tsx_fixture() {
    assert_symbols(
        &extract(Language::Tsx, TSX_SOURCE.as_bytes()),
        "
3..7 @3 interface ListProps
5..6 @5 method render in ListProps
8..11 @8 function List
12..18 @13 function Counter
15..16 @15 function increment in Counter
19..24 @19 class Page
20..23 @20 method render in Page
",
    );
}

#[test]
fn tsx_needs_its_own_grammar() {
    // Read as plain TypeScript, `<T,>(...)` and JSX are errors and the components vanish:
    // the proof that `Tsx` really selects the TSX grammar.
    let as_typescript = extract(Language::TypeScript, TSX_SOURCE.as_bytes());
    assert!(!as_typescript.contains("function List"), "{as_typescript}");
    assert!(
        !as_typescript.contains("function Counter"),
        "{as_typescript}"
    );
}

#[test]
fn typescript_syntax_error_keeps_the_rest() {
    let source = "class A {
  m() { if ( }
  n() { return 1; }
}
function after() {}
";
    assert_symbols(
        &extract(Language::TypeScript, source.as_bytes()),
        "
0..4 @0 class A
1..2 @1 method m in A
2..3 @2 method n in A
4..5 @4 function after
",
    );
}
