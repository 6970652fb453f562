"""The screenplay DSL (``*.studio``): lexer, LALR grammar (``studio.lark``), tree builder and emitter."""
