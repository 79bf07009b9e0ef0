"""Impact follow-up: some weeks after someone attends a course, ask whether and how they
have used what they learned (DESIGN.md section 8)."""
