"""External CPD: training people did elsewhere, logged by themselves and verified by their setting lead."""
