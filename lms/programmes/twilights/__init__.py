"""The DSL network twilight series (DESIGN.md section 8a): one programme a school year, three
terms with a topic each, a session a term in every area hosted by a school, booked on the
one booking engine and counted towards the DSL annual update."""
