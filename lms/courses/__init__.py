"""Course pages that compose the catalogue, the producers and the consumers."""
