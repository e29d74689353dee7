"""Views built from the one log: customer, cost, crm and cem, and the runner that feeds them."""
