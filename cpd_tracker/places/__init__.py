"""Requests for a place on training (issue 17): staff ask, CPD leads decide and book."""
