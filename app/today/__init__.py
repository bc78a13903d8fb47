"""TEMPORARY: replaced at merge (issue 18 codes against this contract; the today helper
builds the real §11 module)."""
