; Rust. Attributes (`#[...]`) and comments are siblings of the item they annotate, so they
; are attached by line adjacency (`@attach`), not by the pattern.

(function_item name: (identifier) @name) @symbol.function

; Required trait methods have no body; they are still part of the trait's surface.
(trait_item
  body: (declaration_list
    (function_signature_item name: (identifier) @name) @symbol.method))

(struct_item name: (type_identifier) @name) @symbol.struct
(enum_item name: (type_identifier) @name) @symbol.enum
(union_item name: (type_identifier) @name) @symbol.union
(trait_item name: (type_identifier) @name) @symbol.trait

; The impl's name is built from the trait and the self type; `@name` is the self type.
(impl_item trait: (_)? @impl.trait type: (_) @name) @symbol.impl

; `mod foo;` has no body here: its symbols live in another file.
(mod_item name: (identifier) @name body: (declaration_list)) @symbol.module

(macro_definition name: (identifier) @name) @symbol.macro

[(line_comment) (block_comment) (attribute_item)] @attach
