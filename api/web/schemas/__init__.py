"""Request and response models of the HTTP API, and the parameter types routes share."""
