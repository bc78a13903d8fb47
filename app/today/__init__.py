"""Today (SPEC §11): the plan for the local day of as_of, from the same calc functions as
the other endpoints."""
