"""HTTP routes, one module per area. Routes stay thin: schemas validate, services decide."""
