"""The partnership admin's pages: people, roles and the admin dashboard."""
