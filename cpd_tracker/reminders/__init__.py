"""Reminder settings (trust leaders) and "remind now" from a school's chase list (CPD leads)."""
