"""TEMPORARY: replaced at merge (issue 18 codes against this contract; the contacts helper
builds the real §10 module)."""
