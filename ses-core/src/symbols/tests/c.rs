use super::{assert_symbols, extract};
use crate::symbols::Language;

/// A header guard around a commented struct (with an anonymous inner struct, not a
/// symbol), a typedef'd anonymous struct named by its typedef, a typedef'd union, an enum,
/// a prototype (not a symbol), a multi-line comment above a pointer-returning function, a
/// comment that ends a line of code (not attached), a `char **` function and `main`.
pub(super) const SOURCE: &str = r#"
#include <stdlib.h>

#ifndef BUF_H
#define BUF_H

/* A growable byte buffer. */
struct buffer {
	char *data;
	size_t len;
	struct {
		int refs;
	} meta;
};

typedef struct {
	int x, y;
} point;

typedef union value {
	int i;
	double d;
} value_t;

enum color { RED, GREEN };

struct buffer *buffer_new(size_t cap);

#endif

/*
 * Allocates an empty buffer.
 */
struct buffer *buffer_new(size_t cap)
{
	struct buffer *b = malloc(sizeof *b);
	b->data = malloc(cap);
	b->len = 0;
	return b;
}

static int calls = 0; /* ends a line of code: not a doc comment */
static char **split(const char *s) { return NULL; }

int main(int argc, char **argv)
{
	struct buffer *b = buffer_new(16);
	free(b);
	return 0;
}
"#;

#[test]
fn c_fixture() {
    // Line 0 is the empty line after the opening quote.
    assert_symbols(
        &extract(Language::C, SOURCE.as_bytes()),
        "
6..14 @7 struct buffer
15..18 @17 struct point
19..23 @19 union value
24..25 @24 enum color
30..40 @33 function buffer_new
42..43 @42 function split
44..50 @44 function main
",
    );
}

#[test]
fn c_syntax_error_keeps_the_rest() {
    let source = "int ok(void) { return 0; }

int broken(void) {
\tint x = ;
\treturn x;
}

struct after { int a; };
";
    assert_symbols(
        &extract(Language::C, source.as_bytes()),
        "
0..1 @0 function ok
2..6 @2 function broken
7..8 @7 struct after
",
    );
}
