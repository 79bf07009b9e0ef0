"""Evaluations: what people thought of a course, asked before the certificate where the
course asks for it, and summarised for trainers and partnership reports."""
