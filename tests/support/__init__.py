"""Test doubles shared by the unit and functional suites: a fake LMS and a fake network."""
