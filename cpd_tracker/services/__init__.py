"""Services hold the rules. Each takes its collaborators (session, clock, settings) in
``__init__``, flushes but never commits: the request edge or the CLI commits once."""
