"""The HTTP API: the app, its dependencies, routes, problems, middleware and pages."""
