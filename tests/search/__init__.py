"""Search: the backend contract suite, the tokeniser and the embedded backend."""
