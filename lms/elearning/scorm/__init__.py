"""SCORM 1.2 packages: upload, play and complete e-learning bought from vendors."""
