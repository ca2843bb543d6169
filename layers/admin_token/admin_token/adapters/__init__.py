"""Request adapters, one module per route family: a function loads only its own routes' request models."""
