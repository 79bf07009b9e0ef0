"""Reference data: sectors, organisation types, areas and job roles, and the admin pages
that change them."""
