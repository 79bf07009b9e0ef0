"""The audit log of privileged actions: who did what, when, with before and after."""
