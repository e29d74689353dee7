"""The demo: a seeded, realistic contact-centre history, generated and loaded."""
