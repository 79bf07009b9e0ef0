"""The start page, the signed-in home page and the service's fixed pages."""
