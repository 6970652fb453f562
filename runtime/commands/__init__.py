"""One module per group of CLI commands; ``runtime.cli`` parses arguments and dispatches here."""
