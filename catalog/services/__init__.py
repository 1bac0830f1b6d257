"""Services own every write; the CLI, the web views, the API and the harvesters all call them."""
