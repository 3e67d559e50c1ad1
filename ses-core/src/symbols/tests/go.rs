use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A generic struct with a doc comment, a grouped type declaration holding an interface
/// (with a commented spec) and an alias (not a symbol), a generic function, methods on
/// pointer, generic and value receivers including one on a named non-struct type, a func
/// type (not a symbol) and a closure (not a symbol).
pub(super) const SOURCE: &str = r#"
// Package store keeps things.
package store

import "sync"

// Store is a concurrent map.
type Store[K comparable, V any] struct {
	mu    sync.Mutex
	items map[K]V
}

type (
	// Getter reads.
	Getter interface {
		Get(key string) (string, bool)
	}
	ID = string
)

// New makes an empty store.
func New[K comparable, V any]() *Store[K, V] {
	return &Store[K, V]{items: map[K]V{}}
}

func (s *Store[K, V]) Get(key K) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.items[key]
	return v, ok
}

func (s Store[K, V]) Len() int { return len(s.items) }

type Counter int

func (c *Counter) Inc() {
	*c++
}

type Handler func(string) error

func run() {
	inc := func() {}
	inc()
}
"#;

#[test]
fn go_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::Go, SOURCE.as_bytes()),
        "
6..11 @7 struct Store
13..17 @14 interface Getter
15..16 @15 method Get in Getter
20..24 @21 function New
25..31 @25 method Get in Store
32..33 @32 method Len in Store
36..39 @36 method Inc in Counter
42..46 @42 function run
",
    );
}

#[test]
fn go_syntax_error_keeps_the_rest() {
    let source = "package p

func ok() {}

func broken() {
\tx := 
}

type T struct{ a int }

func (t T) M() {}
";
    assert_symbols(
        &extract(Language::Go, source.as_bytes()),
        "
2..3 @2 function ok
4..7 @4 function broken
8..9 @8 struct T
10..11 @10 method M in T
",
    );
}
